// Deploy-time configuration (firebase-functions params) with the spec's values as defaults.
// Read only inside functions at run time: `.value()` is not available while deploying.
import { defineBoolean, defineInt, defineList, defineString, type ListParam } from 'firebase-functions/params';
import { authRestUrls, defaultConfig, DEFAULT_WEBHOOK_SETTINGS as WEBHOOKS, SPEC_ALLOWED_FILE_TYPES, type AppConfig } from './app-config.js';

export const CORS_ORIGINS = defineList('CORS_ORIGINS', { default: ['http://localhost:3000', 'http://localhost:5173'], description: 'Origins allowed by CORS (* for any)' });
export const MAX_FILE_SIZE = defineInt('MAX_FILE_SIZE', { default: 2147483648, description: 'Largest media upload in bytes (2 GB)' });
export const ALLOWED_FILE_TYPES = defineList('ALLOWED_FILE_TYPES', { default: SPEC_ALLOWED_FILE_TYPES, description: 'Allowed media file extensions' });
export const WEB_API_KEY = defineString('WEB_API_KEY', { default: 'demo-api-key', description: "The Firebase project's Web API key (for password sign-in)" });
export const RATE_LIMIT_PER_MINUTE = defineInt('RATE_LIMIT_PER_MINUTE', { default: 600, description: 'Requests per user per minute before 429' });
export const TRUSTED_PROXY_HOPS = defineInt('TRUSTED_PROXY_HOPS', { default: 1, description: 'Proxies in front of the function that append to X-Forwarded-For (1: Cloud Functions; 2: behind a Hosting rewrite)' });
export const EVENTS_MAX_AGE_HOURS = defineInt('EVENTS_MAX_AGE_HOURS', { default: 72, description: 'Age after which real-time feed events are deleted' });
export const CSV_IMPORT_MAX_BYTES = defineInt('CSV_IMPORT_MAX_BYTES', { default: 33554432, description: 'Largest CSV task import file in bytes (32 MB, the HTTPS body cap)' });
export const CSV_SYNC_MAX_ROWS = defineInt('CSV_SYNC_MAX_ROWS', { default: 5000, description: 'Most rows POST /tasks/import-csv imports in one request; above it, use the async import' });
export const WEBHOOK_ALLOW_LOOPBACK = defineBoolean('WEBHOOK_ALLOW_LOOPBACK', { default: WEBHOOKS.allowLoopback, description: 'Let webhooks target loopback addresses, over plain http too (the emulator stack sets it in functions/.env.demo-montu)' });
export const WEBHOOK_RETRY_MIN_BACKOFF_SECONDS = defineInt('WEBHOOK_RETRY_MIN_BACKOFF_SECONDS', { default: WEBHOOKS.minBackoffSeconds, description: 'Wait before the first retry of a failed webhook delivery; doubled for each later one' });
export const WEBHOOK_RETRY_MAX_BACKOFF_SECONDS = defineInt('WEBHOOK_RETRY_MAX_BACKOFF_SECONDS', { default: WEBHOOKS.maxBackoffSeconds, description: 'Longest wait between two attempts of a webhook delivery' });
export const WEBHOOK_RETRY_WINDOW_SECONDS = defineInt('WEBHOOK_RETRY_WINDOW_SECONDS', { default: WEBHOOKS.retryWindowSeconds, description: 'How long after its first attempt a failed webhook delivery is retried' });

/**
 * A list param's value. Deployed functions get lists as JSON; the Functions emulator passes the
 * text it wrote to functions/.env.local (`a,b`), which `value()` cannot parse
 * (firebase/firebase-functions#1605), so that form is split here.
 */
function listValue(param: ListParam): string[] {
  const raw = process.env[param.name];
  if (raw === undefined || raw.trimStart().startsWith('[')) return param.value();
  return raw.split(',').map((item) => item.trim()).filter(Boolean);
}

export function configFromParams(): AppConfig {
  return defaultConfig({
    corsOrigins: listValue(CORS_ORIGINS),
    maxFileSizeBytes: MAX_FILE_SIZE.value(),
    allowedFileTypes: listValue(ALLOWED_FILE_TYPES).map((t) => t.trim().toLowerCase()),
    webApiKey: WEB_API_KEY.value(),
    ...authRestUrls(process.env.FIREBASE_AUTH_EMULATOR_HOST),
    rateLimitPerMinute: RATE_LIMIT_PER_MINUTE.value(),
    // The emulators' Hosting and Functions proxies append nothing to X-Forwarded-For (found by the
    // served-stack test): every entry there is the client's own, so none is trusted.
    trustedProxyHops: process.env.FUNCTIONS_EMULATOR === 'true' ? 0 : TRUSTED_PROXY_HOPS.value(),
    eventsMaxAgeHours: EVENTS_MAX_AGE_HOURS.value(),
    csvImportMaxBytes: CSV_IMPORT_MAX_BYTES.value(),
    csvSyncMaxRows: CSV_SYNC_MAX_ROWS.value(),
    webhooks: {
      allowLoopback: WEBHOOK_ALLOW_LOOPBACK.value(),
      minBackoffSeconds: WEBHOOK_RETRY_MIN_BACKOFF_SECONDS.value(),
      maxBackoffSeconds: WEBHOOK_RETRY_MAX_BACKOFF_SECONDS.value(),
      retryWindowSeconds: WEBHOOK_RETRY_WINDOW_SECONDS.value(),
    },
  });
}
