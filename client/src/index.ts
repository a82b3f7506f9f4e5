// @montu/client: the REST client, its errors and types, and the offline client. Real-time
// listeners are in `@montu/client/realtime` (they need `firebase`), file storage for Node and
// Electron in `@montu/client/node`.
export * from './api-types.js';
export { DEFAULT_BASE_URL, MontuClient, type ApiResponse, type MontuClientOptions, type RequestOptions, type Session, type TokenSource, type UploadOptions, type UploadUrlReply } from './client.js';
export { isOffline, MontuApiError, MontuNetworkError, type ErrorCode, type ErrorEnvelope } from './errors.js';
export type { components, operations, paths } from './generated/openapi.js';
export * from './offline.js';
export { IndexedDbStorage, MemoryStorage, type OfflineStorage } from './storage.js';
export type { Progress, ProgressCallback } from './transfer.js';
