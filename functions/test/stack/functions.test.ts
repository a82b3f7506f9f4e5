// The functions that package.json's `main` (the bundle in lib/bundle/) defines, as `firebase deploy`
// discovers them (firebase-tools runs the firebase-functions binary with FUNCTIONS_CONTROL_API and
// reads the manifest it writes), and as an instance finds them: Cloud Run and the Functions emulator set FUNCTION_TARGET to the one
// function an instance runs, and the emulator require()s the module (so it must have no top-level
// await), which the instances here do too.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_DOMAINS } from '../../src/app.js';
import * as params from '../../src/config/params.js';

const run = promisify(execFile);
const FUNCTIONS_DIR = fileURLToPath(new URL('../../', import.meta.url));
const BUCKET = 'demo-montu.appspot.com';
// What firebase-tools gives discovery and the runtime gives every instance.
const PLATFORM_ENV = { PATH: process.env.PATH, GCLOUD_PROJECT: 'demo-montu', FIREBASE_CONFIG: JSON.stringify({ projectId: 'demo-montu', storageBucket: BUCKET }) };

interface WireEndpoint {
  availableMemoryMb: number | null;
  timeoutSeconds: number | null;
  concurrency: number | null;
  region: string[];
  entryPoint: string;
  httpsTrigger?: { invoker: string[] };
  eventTrigger?: { eventType: string; eventFilters: Record<string, string>; eventFilterPathPatterns?: { document: string }; retry: boolean };
  scheduleTrigger?: { schedule: string };
  taskQueueTrigger?: { retryConfig: Record<string, unknown>; rateLimits: { maxConcurrentDispatches: number } };
}

interface Manifest {
  endpoints: Record<string, WireEndpoint>;
  params: { name: string }[];
  requiredAPIs: { api: string }[];
}

/** A deploy's view of one function: its trigger and the options that size its instances. */
function deployed(e: WireEndpoint): string {
  const trigger = e.httpsTrigger
    ? `https, invoker ${e.httpsTrigger.invoker.join()}`
    : e.eventTrigger
      ? `${e.eventTrigger.eventType} ${e.eventTrigger.eventFilterPathPatterns?.document ?? e.eventTrigger.eventFilters.bucket}, retry ${e.eventTrigger.retry}`
      : e.scheduleTrigger
        ? `schedule ${e.scheduleTrigger.schedule}`
        : `task queue ${JSON.stringify(e.taskQueueTrigger)}`;
  return `${trigger}; ${e.region.join()} memory ${e.availableMemoryMb ?? 'default'} timeout ${e.timeoutSeconds ?? 'default'} concurrency ${e.concurrency ?? 'default'}`;
}

const firestore = (event: string, document: string, retry: boolean) => `google.cloud.firestore.document.v1.${event} ${document}, retry ${retry}`;
const DEFAULTS = 'us-central1 memory default timeout default concurrency default';
const webhookRetries = {
  maxAttempts: 100,
  maxDoublings: 16,
  maxBackoffSeconds: '{{ params.WEBHOOK_RETRY_MAX_BACKOFF_SECONDS }}',
  maxRetrySeconds: '{{ params.WEBHOOK_RETRY_WINDOW_SECONDS }}',
  minBackoffSeconds: '{{ params.WEBHOOK_RETRY_MIN_BACKOFF_SECONDS }}',
};
const EXPECTED: Record<string, string> = {
  api: 'https, invoker public; us-central1 memory 512 timeout 120 concurrency 80',
  projectWritten: `${firestore('written', 'projects/{projectId}', true)}; ${DEFAULTS}`,
  memberWritten: `${firestore('written', 'projects/{projectId}/members/{uid}', true)}; ${DEFAULTS}`,
  taskWritten: `${firestore('written', 'tasks/{taskKey}', true)}; ${DEFAULTS}`,
  mediaWritten: `${firestore('written', 'media/{mediaId}', true)}; ${DEFAULTS}`,
  annotationWritten: `${firestore('written', 'annotations/{annotationId}', true)}; ${DEFAULTS}`,
  importJobWritten: `${firestore('written', 'import_jobs/{jobId}', true)}; ${DEFAULTS}`,
  importJobCreated: `${firestore('created', 'import_jobs/{jobId}', false)}; us-central1 memory 1024 timeout 540 concurrency default`,
  webhookFanOut: `${firestore('created', 'projects/{projectId}/events/{eventId}', true)}; ${DEFAULTS}`,
  feedCleanup: 'schedule every 60 minutes; us-central1 memory default timeout 540 concurrency default',
  mediaFileFinalized: `google.cloud.storage.object.v1.finalized ${BUCKET}, retry false; us-central1 memory 2048 timeout 300 concurrency 1`,
  mediaFileDeleted: `google.cloud.storage.object.v1.deleted ${BUCKET}, retry false; ${DEFAULTS.replace('memory default', 'memory 256')}`,
  webhookDelivery: `task queue ${JSON.stringify({ retryConfig: webhookRetries, rateLimits: { maxConcurrentDispatches: 100, maxDispatchesPerSecond: null } })}; us-central1 memory 256 timeout 60 concurrency default`,
};

// An instance: require()s the package's main as the emulator does, and reports the functions it exports
// (each one's endpoint, which is what the runtime serves).
const INSTANCE = `
const exported = require('.');
const functions = Object.fromEntries(Object.entries(exported).filter(([, f]) => typeof f === 'function').map(([name, f]) => [name, f.__endpoint]));
process.stdout.write(JSON.stringify(functions));
`;

type Endpoints = Record<string, Record<string, unknown>>;

async function instance(target: string): Promise<Endpoints> {
  const { stdout } = await run(process.execPath, ['-e', INSTANCE], { cwd: FUNCTIONS_DIR, env: { ...PLATFORM_ENV, FUNCTION_TARGET: target } });
  return JSON.parse(stdout) as Endpoints;
}

let manifest: Manifest;
let tmp: string;

beforeAll(async () => {
  expect(existsSync(path.join(FUNCTIONS_DIR, 'lib/index.js')), 'functions/lib is not built: run npm run build').toBe(true);
  tmp = await mkdtemp(path.join(tmpdir(), 'montu-manifest-'));
  const output = path.join(tmp, 'functions.yaml');
  const bin = path.join(FUNCTIONS_DIR, 'node_modules/firebase-functions/lib/bin/firebase-functions.js');
  await run(process.execPath, [bin, '.'], { cwd: FUNCTIONS_DIR, env: { ...PLATFORM_ENV, FUNCTIONS_CONTROL_API: 'true', FUNCTIONS_MANIFEST_OUTPUT_PATH: output } });
  manifest = JSON.parse(readFileSync(output, 'utf8')) as Manifest;
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("firebase deploy's discovery", () => {
  it('finds every function with its trigger and options', () => {
    const found = Object.fromEntries(Object.entries(manifest.endpoints).map(([name, e]) => [name, deployed(e)]));
    expect(found).toEqual(EXPECTED);
  });

  it('finds every param of config/params.ts and the APIs the triggers need', () => {
    const declared = Object.values(params).flatMap((p) => (typeof p === 'object' && 'name' in p ? [p.name] : []));
    expect(manifest.params.map((p) => p.name).sort()).toEqual(declared.sort());
    expect(manifest.requiredAPIs.map((r) => r.api).sort()).toEqual(['cloudscheduler.googleapis.com', 'cloudtasks.googleapis.com']);
  });
});

describe('an instance running one function (FUNCTION_TARGET)', () => {
  it('finds its function, with the trigger discovery saw', async () => {
    const triggerOf = (endpoint: object | undefined) => Object.keys(endpoint ?? {}).filter((key) => key.endsWith('Trigger'));
    for (const name of Object.keys(EXPECTED)) {
      expect(triggerOf((await instance(name))[name]), name).toEqual(triggerOf(manifest.endpoints[name]));
    }
  });
});

// The api's first answer, as the cold-start benchmark makes it (bench/support/cold-start-child.mjs):
// an instance imports main, serves it behind an express host and answers GET /api/v1/health,
// then reports which of the bundle's chunks it loaded.
const FIRST_ANSWER = `
import { registerHooks } from 'node:module';
const loaded = new Set();
registerHooks({ resolve: (specifier, context, next) => { const resolved = next(specifier, context); loaded.add(resolved.url); return resolved; } });
const { api } = await import(new URL('./lib/bundle/index.js', 'file://' + process.cwd() + '/').href);
const host = (await import('express')).default().use((req, res) => api(req, res));
const server = host.listen(0, '127.0.0.1', async () => {
  const res = await fetch('http://127.0.0.1:' + server.address().port + '/api/v1/health');
  process.stdout.write(JSON.stringify({ status: res.status, chunks: [...loaded].filter((url) => url.includes('/lib/bundle/')).map((url) => url.split('/').at(-1)) }));
  process.exit(0);
});
`;

const BUNDLE_DIR = path.join(FUNCTIONS_DIR, 'lib/bundle');
/** Which domains' routes, schemas or service each chunk of the bundle holds, from its source map. */
function domainsInChunk(chunk: string): string[] {
  const { sources } = JSON.parse(readFileSync(path.join(BUNDLE_DIR, `${chunk}.map`), 'utf8')) as { sources: string[] };
  return [...new Set(sources.flatMap((source) => /\/src\/([\w-]+)\/(?:routes|schemas|service)\.ts$/.exec(source)?.[1] ?? []))];
}

describe("the api's bundle", () => {
  it("keeps each domain's routes, schemas and service in chunks of their own", () => {
    const chunks = readdirSync(BUNDLE_DIR).filter((file) => file.endsWith('.js'));
    const mixed = chunks.map((chunk) => [chunk, domainsInChunk(chunk)] as const).filter(([, domains]) => domains.length > 1);
    expect(mixed).toEqual([]);
    const bundled = new Set(chunks.flatMap(domainsInChunk));
    expect(API_DOMAINS.map((d) => d.name).filter((name) => !bundled.has(name))).toEqual([]);
  });

  it("loads only the system domain's code for an instance's first GET /api/v1/health", async () => {
    // Each param's value as a deploy sets it (its default; lists as JSON).
    const paramEnv = Object.fromEntries(
      Object.values(params).flatMap((p) => (typeof p === 'object' && 'options' in p && p.options && 'default' in p.options ? [[p.name, Array.isArray(p.options.default) ? JSON.stringify(p.options.default) : String(p.options.default)]] : [])),
    );
    const emulators = { FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST, METADATA_SERVER_DETECTION: 'none' };
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', FIRST_ANSWER], { cwd: FUNCTIONS_DIR, env: { ...PLATFORM_ENV, ...paramEnv, ...emulators, FUNCTION_TARGET: 'api' } });
    const { status, chunks } = JSON.parse(stdout) as { status: number; chunks: string[] };
    expect(status).toBe(200);
    expect([...new Set(chunks.flatMap(domainsInChunk))]).toEqual(['system']);
  });
});
