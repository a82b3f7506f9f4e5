// @montu/client: the REST client, its errors and types. Real-time listeners are in
// `@montu/client/realtime` (they need `firebase`).
export * from './api-types.js';
export { DEFAULT_BASE_URL, MontuClient, type ApiResponse, type MontuClientOptions, type RequestOptions, type Session, type TokenSource, type UploadOptions, type UploadUrlReply } from './client.js';
export { isOffline, MontuApiError, MontuNetworkError, type ErrorCode, type ErrorEnvelope } from './errors.js';
export type { components, operations, paths } from './generated/openapi.js';
export type { Progress, ProgressCallback } from './transfer.js';
