// Runtime configuration: one AppConfig for the whole app. Functions read it from firebase-functions
// params (config/params.ts, with these values as defaults); tests and scripts build it with `defaultConfig`.
export interface AppConfig {
  projectId: string;
  /** Origins allowed by CORS; `*` allows any. */
  corsOrigins: string[];
  /** Largest media upload, bytes (spec: MAX_FILE_SIZE, 2 GB). */
  maxFileSizeBytes: number;
  /** Allowed media extensions, lower case with dot (spec: ALLOWED_FILE_TYPES). */
  allowedFileTypes: string[];
  /** Web API key for Firebase Auth's REST sign-in and token refresh. */
  webApiKey: string;
  /** Base URLs of Firebase Auth's REST APIs (the Auth emulator serves the same paths). */
  identityToolkitUrl: string;
  secureTokenUrl: string;
  /** Requests a user may make per rate window before getting 429. */
  rateLimitPerMinute: number;
  /**
   * Proxies in front of the app that append the address they saw to X-Forwarded-For: the client
   * address is the entry this many from the end. Google's front end for Cloud Functions is one; a
   * Firebase Hosting rewrite in front of it adds another.
   */
  trustedProxyHops: number;
  /** Age after which real-time feed events are deleted. */
  eventsMaxAgeHours: number;
  /** Largest CSV task import file, bytes (both imports take the file through the API, whose bodies cap at 32 MB). */
  csvImportMaxBytes: number;
  /** Most task rows POST /tasks/import-csv imports in the request; larger files go through the async import. */
  csvSyncMaxRows: number;
  webhooks: WebhookSettings;
  /** Answer with a Server-Timing header naming each step's duration (the benchmarks read it); off in production. */
  serverTiming: boolean;
}

/** How webhooks deliver (docs/webhooks.md). */
export interface WebhookSettings {
  /** Loopback targets allowed, over plain http too (the emulator stack: receivers on this machine). */
  allowLoopback: boolean;
  /** Wait before the first retry; each later one waits twice as long, up to `maxBackoffSeconds`. */
  minBackoffSeconds: number;
  maxBackoffSeconds: number;
  /** How long after its first attempt a delivery is still retried. */
  retryWindowSeconds: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = { allowLoopback: false, minBackoffSeconds: 30, maxBackoffSeconds: 3600, retryWindowSeconds: 86_400 };

export const SPEC_ALLOWED_FILE_TYPES = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.exr', '.mov', '.mp4', '.ma', '.nk'];

export function authRestUrls(emulatorHost: string | undefined): Pick<AppConfig, 'identityToolkitUrl' | 'secureTokenUrl'> {
  return emulatorHost
    ? {
        identityToolkitUrl: `http://${emulatorHost}/identitytoolkit.googleapis.com`,
        secureTokenUrl: `http://${emulatorHost}/securetoken.googleapis.com`,
      }
    : { identityToolkitUrl: 'https://identitytoolkit.googleapis.com', secureTokenUrl: 'https://securetoken.googleapis.com' };
}

export function defaultConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    projectId: process.env.GCLOUD_PROJECT ?? 'demo-montu',
    corsOrigins: ['http://localhost:3000', 'http://localhost:5173'],
    maxFileSizeBytes: 2 * 1024 * 1024 * 1024,
    allowedFileTypes: SPEC_ALLOWED_FILE_TYPES,
    webApiKey: 'demo-api-key',
    ...authRestUrls(process.env.FIREBASE_AUTH_EMULATOR_HOST),
    rateLimitPerMinute: 600,
    trustedProxyHops: 1,
    eventsMaxAgeHours: 72,
    csvImportMaxBytes: 32 * 1024 * 1024,
    csvSyncMaxRows: 5000,
    webhooks: DEFAULT_WEBHOOK_SETTINGS,
    serverTiming: false,
    ...overrides,
  };
}
