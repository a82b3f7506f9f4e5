// Property-based fuzz of the whole API, generated from its own contract: the OpenAPI document lists
// every operation with its path parameters, query parameters and body; for each one, fast-check
// sends hostile variants of a request (broken auth, bad ids, traversal, unknown and ill-typed
// fields, huge and deeply nested values, prototype-pollution keys, bad page tokens, malformed or
// oversized bodies, wrong content types, broken multipart and CSV files) as a project admin and as
// an outsider. Every variant that the contract (the route's own zod schemas) or the data (ids that
// do not exist or are not the caller's) refuses must get the error envelope with a 4xx status, no
// stack trace and nothing of another project; and the stored data must be unchanged afterwards.
//
// CI runs FUZZ_RUNS (default 20) cases per operation as the project admin and half as many as the
// outsider, from a fixed seed, plus fixed cases every run gets. For a long hunt:
//   FUZZ_RUNS=5000 npx vitest run test/robustness/contract-fuzz.test.ts   (FUZZ_SEED picks another seed)
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import querystring from 'node:querystring';
import fc from 'fast-check';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../src/app.js';
import { ERROR_STATUS } from '../../src/http/errors.js';
import { jsonBodyProblem } from '../../src/http/middleware.js';
import { API_PREFIX } from '../../src/lib/api-prefix.js';
import type { AnyRoute } from '../../src/http/route.js';
import { AUTH_PROJECT_ID, createTestContext, signIn, type TestUser } from '../support/context.js';
import {
  HOSTILE_IF_MATCH,
  HOSTILE_KEYS,
  MALFORMED_JSON,
  OBJECT_PROTOTYPE_NAMES,
  RAW_SEGMENTS,
  RawJson,
  WRONG_JSON_CONTENT_TYPES,
  hostileAuthorizations,
  hostileId,
  hostilePageToken,
  hostileQueryValue,
  hostileString,
  hostileValue,
} from './hostile.js';
import { TINY_PNG, buildWorld, expectSameData, snapshot, type World } from './world.js';

const LONG = process.env.FUZZ_RUNS !== undefined;
const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const SEED = Number(process.env.FUZZ_SEED ?? 20260311);
/** A long local hunt needs more than the default per-test time; CI keeps the default. */
const TIMEOUT = LONG ? RUNS * 2_000 : undefined;

const ctx = createTestContext('contract-fuzz', { rateLimitPerMinute: 1_000_000 });

// ---------------------------------------------------------------------------------------------
// The operations, from the OpenAPI document the API serves

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query';
  schema: { type?: string };
}
interface OpenApiOperation {
  operationId: string;
  security: unknown[];
  parameters: OpenApiParameter[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, unknown>;
}
interface Operation {
  key: string;
  method: string;
  template: string;
  route: AnyRoute;
  pathParams: string[];
  queryParams: string[];
  body: 'json' | 'multipart' | 'none';
  public: boolean;
  /** Documents 412: honours If-Match. */
  ifMatch: boolean;
}

const openapi = (await ctx.http().get('/api/v1/openapi.json').expect(200)).body as { paths: Record<string, Record<string, OpenApiOperation>> };
const routes = await apiRoutes(ctx.deps);
const operations: Operation[] = Object.entries(openapi.paths).flatMap(([template, methods]) =>
  Object.entries(methods).map(([method, op]) => {
    const route = routes.find((r) => r.method === method && `${API_PREFIX}${r.path}` === template);
    if (!route) throw new Error(`${method} ${template} is documented but not declared`);
    const contentTypes = Object.keys(op.requestBody?.content ?? {});
    return {
      key: `${method.toUpperCase()} ${template}`,
      method: method.toUpperCase(),
      template,
      route,
      pathParams: op.parameters.filter((p) => p.in === 'path').map((p) => p.name),
      queryParams: op.parameters.filter((p) => p.in === 'query').map((p) => p.name),
      body: contentTypes.includes('multipart/form-data') ? 'multipart' : contentTypes.includes('application/json') ? 'json' : 'none',
      public: op.security.length === 0,
      ifMatch: '412' in op.responses,
    } satisfies Operation;
  }),
);

// ---------------------------------------------------------------------------------------------
// The world, and one well-formed request per operation that the hostile variants start from

interface FilePart {
  field: string;
  name: string;
  data: Buffer;
  type: string;
}
interface FormSpec {
  fields: Record<string, string>;
  files: FilePart[];
}
interface Baseline {
  query?: Record<string, string>;
  body?: unknown;
  form?: FormSpec;
}

const SHOT_LIST = { field: 'file', name: 'shots.csv', data: Buffer.from('Episode,Sequence,Shot,Task\nep03,sq0010,sh0010,comp\n'), type: 'text/csv' };

function baselines(w: World): Record<string, Baseline> {
  const task = w.swa.tasks[0]!;
  const taskData = { episode: 'ep01', sequence: 'sq0010', shot: 'sh0010', task: 'comp' };
  return {
    'POST /api/v1/auth/login': { body: { email: 'nobody@studio.test', password: 'not-the-password' } },
    'POST /api/v1/auth/refresh': { body: { refresh_token: 'not-a-refresh-token' } },
    'POST /api/v1/projects/{project_id}/users': { body: [{ user_id: w.outsider.uid, permissions: ['read'] }] },
    'PATCH /api/v1/projects/{project_id}/users/{user_id}': { body: { permissions: ['read', 'write'] } },
    'POST /api/v1/projects/{project_id}/webhooks': { body: { url: 'https://93.184.216.34/montu', events: ['task_updated'] } },
    'PATCH /api/v1/projects/{project_id}/webhooks/{webhook_id}': { body: { description: 'changed' } },
    'POST /api/v1/projects': { body: { id: 'FUZZ', name: 'Fuzz' } },
    'PATCH /api/v1/projects/{project_id}': { body: { description: 'changed' } },
    'POST /api/v1/projects/{project_id}/directory-structure': { body: { episodes: ['ep01'], sequences: ['sq0010'], shots: ['sh0010'] } },
    'POST /api/v1/paths/generate': { body: { project_id: 'SWA', template_type: 'working_file', task_data: taskData } },
    'POST /api/v1/paths/generate-batch': { body: { project_id: 'SWA', template_type: 'working_file', tasks: [taskData] } },
    'GET /api/v1/paths/validate': { query: { project_id: 'SWA', path: 'V:/SWA/all/scene/ep01' } },
    'POST /api/v1/tasks/import-csv': { form: { fields: { project_id: 'SWA', validate_only: 'true' }, files: [SHOT_LIST] } },
    'POST /api/v1/tasks/import-csv-async': { form: { fields: { project_id: 'SWA' }, files: [SHOT_LIST] } },
    'POST /api/v1/tasks': { body: { project_id: 'SWA', ...taskData, episode: 'ep07' } },
    'PATCH /api/v1/tasks/bulk-update': { body: [{ task_id: task, updates: { status: 'in_progress' } }] },
    'POST /api/v1/tasks/bulk': { body: { task_ids: [task], operation: 'update_status', data: { status: 'in_progress' } } },
    'PATCH /api/v1/tasks/{task_id}': { body: { status: 'in_progress' } },
    'POST /api/v1/tasks/{task_id}/add-field': { body: { shot_notes: 'soft focus' } },
    'POST /api/v1/media': { form: { fields: { task_id: task, version: 'v007' }, files: [{ field: 'file', name: 'fuzz_v007.png', data: TINY_PNG, type: 'image/png' }] } },
    'POST /api/v1/media/upload-url': { body: { task_id: task, file_name: 'plate_v002.exr', file_size: 1024 } },
    'PUT /api/v1/media/{media_id}': { body: { description: 'changed' } },
    'POST /api/v1/media/{media_id}/approve': { body: { approval_status: 'approved' } },
    'GET /api/v1/annotations': { query: { project_id: 'SWA' } },
    'POST /api/v1/annotations': { body: { media_id: w.swa.media, annotation_type: 'note', content: 'fuzz' } },
    'PUT /api/v1/annotations/{annotation_id}': { body: { content: 'changed' } },
  };
}

let world: World;
let base: Record<string, Baseline>;
/** Path parameter values that name something the project admin may act on; anything else must be refused. */
let known: Record<string, string[]>;
/** The same kind of ids in the other project (RFX), which the SWA admin must not reach either. */
let foreign: Record<string, string>;
let expiredToken: string;
let deletedUserToken: string;
let foreignPageToken: string;
let before: Map<string, string>;
let server: http.Server;
let port: number;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** An unsigned emulator-style ID token of `uid` that expired an hour ago. */
function expiredIdToken(uid: string): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iss: `https://securetoken.google.com/${AUTH_PROJECT_ID}`, aud: AUTH_PROJECT_ID, auth_time: now - 7200, user_id: uid, sub: uid, iat: now - 7200, exp: now - 3600, firebase: { sign_in_provider: 'password', identities: {} } })}.`;
}

beforeAll(async () => {
  world = await buildWorld(ctx);
  base = baselines(world);
  known = {
    project_id: ['SWA'],
    task_id: world.swa.tasks,
    media_id: [world.swa.media],
    annotation_id: [world.swa.annotation],
    job_id: [world.swa.job],
    user_id: [world.admin.uid, world.globalAdmin.uid],
  };
  foreign = { project_id: 'RFX', task_id: world.rfx.task, media_id: world.rfx.media, annotation_id: world.rfx.annotation, job_id: world.rfx.annotation, user_id: world.outsider.uid };
  expiredToken = expiredIdToken(world.admin.uid);
  const doomed = await ctx.createUser({ name: 'departed' });
  deletedUserToken = (await signIn(doomed.email, doomed.password)).idToken;
  await ctx.deps.auth.deleteUser(doomed.uid);
  const page = await ctx.http().get('/api/v1/tasks').query({ page_size: 1 }).set('Authorization', world.admin.bearer).expect(200);
  foreignPageToken = page.body.next_page_token as string;
  server = http.createServer(ctx.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  before = await snapshot(ctx);
});

afterAll(async () => {
  agent.destroy();
  await new Promise((resolve) => server?.close(resolve));
});

// ---------------------------------------------------------------------------------------------
// Requests: built from parts, sent as raw bytes (no client-side normalisation of `..` or encodings)

interface Case {
  why: string;
  /** Path parameters as sent (already percent-encoded where meant to be). */
  params: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string>;
  json?: string;
  form?: FormSpec;
  /** Raw bytes and content type, overriding json/form. */
  raw?: { type: string; bytes: Buffer };
  /** Refused whatever the rest of the request: broken auth, body or content type. */
  certain: boolean;
  /** For multipart: the form is one the route refuses. */
  formRefused?: boolean;
}

function toJsonText(value: unknown): string {
  const raws: RawJson[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof RawJson ? `\u0000raw${raws.push(v) - 1}\u0000` : v)) ?? 'null';
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)]!.text);
}

function multipart(form: FormSpec, boundary: string): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(form.fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const f of form.files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.name}"\r\nContent-Type: ${f.type}\r\n\r\n`), f.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

const BOUNDARY = 'fuzzboundary7MA4YWxkTrZu0gW';
const MAX_URL = 8_000;

function encodeCase(op: Operation, c: Case, bearer: string | undefined) {
  const path = op.template.replace(/\{(\w+)\}/g, (_m, name: string) => c.params[name] ?? '');
  const search = new URLSearchParams(c.query).toString();
  const headers: Record<string, string> = { ...(bearer ? { authorization: bearer } : {}), ...c.headers };
  if (headers.authorization === '') delete headers.authorization;
  let body: Buffer | undefined;
  if (c.raw) {
    body = c.raw.bytes;
    if (c.raw.type) headers['content-type'] = c.raw.type;
  } else if (c.json !== undefined) {
    body = Buffer.from(c.json);
    headers['content-type'] = 'application/json';
  } else if (c.form) {
    body = multipart(c.form, BOUNDARY);
    headers['content-type'] = `multipart/form-data; boundary=${BOUNDARY}`;
  }
  return { path: search ? `${path}?${search}` : path, headers, body };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function send(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: { ...headers, 'content-length': String(body?.length ?? 0) } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// What must be refused (the oracle), and what a refusal must look like

type CallerKind = 'admin' | 'outsider';

/** Bulk operations answer 200 with an outcome per item (the spec's errors list), even when every item fails. */
const PER_ITEM_OUTCOMES = ['PATCH /api/v1/tasks/bulk-update', 'POST /api/v1/tasks/bulk'];

function parses(schema: z.ZodType, value: unknown): boolean {
  try {
    return schema.safeParse(value).success;
  } catch {
    return false; // a validator overflowing its stack on deep input: the API refuses such bodies first
  }
}

/** The multipart fields of a route (without the file), as the router validates them. */
function formFieldsSchema(op: Operation): z.ZodType | undefined {
  return op.route.multipart?.fields;
}

function mustRefuse(op: Operation, c: Case, caller: CallerKind): boolean {
  if (c.certain || c.formRefused) return true;
  if (caller === 'outsider' && !op.public) {
    if (op.pathParams.length > 0 || (op.body !== 'none' && !PER_ITEM_OUTCOMES.includes(op.key))) return true;
    if (c.query.some(([name, value]) => Object.hasOwn(known, name) && known[name]!.includes(value))) return true;
  }
  for (const name of op.pathParams) {
    let value: string;
    try {
      value = decodeURIComponent(c.params[name]!);
    } catch {
      return true;
    }
    if (!Object.hasOwn(known, name) || !known[name]!.includes(value)) return true;
  }
  if (op.route.query && !parses(op.route.query, querystring.parse(new URLSearchParams(c.query).toString()))) return true;
  if (c.json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(c.json);
    } catch {
      return true;
    }
    if (jsonBodyProblem(parsed)) return true;
    // No body of this API has a field named like what every object inherits (constructor, toString...).
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && Object.keys(parsed).some((k) => OBJECT_PROTOTYPE_NAMES.includes(k))) return true;
    const schema = op.route.body;
    if (schema && !parses(schema, parsed)) return true;
  }
  return false;
}

const STACK_TRACE = /\n\s+at |node_modules|\/work\/|\.ts:\d+|\.js:\d+/;

function checkRefusal(op: Operation, c: Case, sent: { path: string; body?: Buffer }, res: Answer, secrets: string[]) {
  const where = `${op.key} [${c.why}] → ${res.status} ${res.text.slice(0, 400)}`;
  if (res.status < 400 || res.status > 499) throw new Error(`expected a 4xx refusal: ${where}`);
  let body: { error?: Record<string, unknown> };
  try {
    body = JSON.parse(res.text) as typeof body;
  } catch {
    throw new Error(`refusal is not JSON: ${where}`);
  }
  const e = body.error;
  if (!e || typeof e.code !== 'string' || ERROR_STATUS[e.code as keyof typeof ERROR_STATUS] !== res.status || typeof e.message !== 'string' || typeof e.timestamp !== 'string' || typeof e.request_id !== 'string') {
    throw new Error(`refusal is not the error envelope (or its code does not match the status): ${where}`);
  }
  if (STACK_TRACE.test(res.text)) throw new Error(`refusal leaks a stack trace or source path: ${where}`);
  const asked = sent.path + (sent.body?.toString('latin1') ?? '') + (sent.body?.toString('utf8') ?? '');
  const leaked = secrets.filter((s) => res.text.includes(s) && !asked.includes(s));
  if (leaked.length) throw new Error(`refusal names another project's data (${leaked.join(', ')}): ${where}`);
  if (res.status === 405 && !res.headers.allow) throw new Error(`405 without Allow: ${where}`);
  if (res.status === 429 && !res.headers['retry-after']) throw new Error(`429 without Retry-After: ${where}`);
  const probe = {} as Record<string, unknown>;
  if (Object.keys(Object.prototype).length > 0 || probe.polluted !== undefined || probe.admin !== undefined) throw new Error(`Object.prototype was polluted by: ${where}`);
}

// ---------------------------------------------------------------------------------------------
// Generators of hostile variants, per operation

function baseCase(op: Operation, caller: CallerKind): Case {
  const b = base[op.key] ?? {};
  const params = Object.fromEntries(op.pathParams.map((name) => [name, encodeURIComponent(known[name]?.[0] ?? 'x')]));
  const query: [string, string][] = Object.entries(b.query ?? {});
  if (caller === 'outsider') {
    // Outsiders name the project's things in every filter they can.
    const filters: Record<string, string> = { project_id: 'SWA', task_id: world.swa.tasks[0]!, media_id: world.swa.media };
    for (const name of op.queryParams) if (filters[name] && !query.some(([n]) => n === name)) query.push([name, filters[name]!]);
  }
  return {
    why: 'baseline',
    params,
    query,
    headers: {},
    json: op.body === 'json' ? toJsonText(b.body ?? {}) : undefined,
    form: op.body === 'multipart' ? structuredClone(b.form ?? { fields: {}, files: [] }) : undefined,
    certain: false,
  };
}

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** Every path (object keys and array indexes) into a JSON value. */
function pathsOf(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
}
function containersOf(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [];
  return [prefix, ...Object.entries(value).flatMap(([k, v]) => containersOf(v, [...prefix, k]))];
}
function at(root: unknown, path: string[]): Record<string, unknown> {
  return path.reduce((node, key) => (node as Record<string, unknown>)[key], root) as Record<string, unknown>;
}
function put(target: Record<string, unknown>, key: string, value: unknown) {
  // defineProperty: a plain assignment to `__proto__` would set the prototype, not a key.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
const show = (v: unknown) => (v instanceof RawJson ? v.label : JSON.stringify(v)?.slice(0, 80));

function jsonVariants(op: Operation, c: Case): fc.Arbitrary<Case> {
  const body = base[op.key]?.body ?? {};
  const paths = pathsOf(body);
  const containers = containersOf(body);
  const withBody = (value: unknown, why: string): Case => ({ ...c, json: toJsonText(value), why });
  const variants: fc.Arbitrary<Case>[] = [
    hostileValue.map((v) => withBody(v, `body = ${show(v)}`)),
    fc.constantFrom(0, 1).map((i) => withBody(i ? [body] : { data: body }, i ? 'body wrapped in an array' : 'body wrapped in an object')),
    fc.tuple(fc.constantFrom(...containers), fc.constantFrom(...HOSTILE_KEYS), hostileValue).map(([path, key, v]) => {
      const copy = clone(body);
      put(at(copy, path), key, v);
      return withBody(copy, `extra field ${[...path, key].join('.').slice(0, 60)} = ${show(v)}`);
    }),
  ];
  if (paths.length > 0) {
    variants.push(
      fc.tuple(fc.constantFrom(...paths), hostileValue).map(([path, v]) => {
        const copy = clone(body);
        put(at(copy, path.slice(0, -1)), path.at(-1)!, v);
        return withBody(copy, `${path.join('.')} = ${show(v)}`);
      }),
      fc.constantFrom(...paths).map((path) => {
        const copy = clone(body);
        const parent = at(copy, path.slice(0, -1));
        if (Array.isArray(parent)) parent.splice(Number(path.at(-1)), 1);
        else delete parent[path.at(-1)!];
        return withBody(copy, `without ${path.join('.')}`);
      }),
    );
  }
  return fc.oneof(...variants);
}

const REFUSED_MEDIA_NAMES = ['..', '.', 'dir/..', '..\\..', '.htaccess', 'no_extension', 'evil.exe', 'plate.png.exe', 'é.png', 'a"b.png', '<svg onload=x>.png', 'a%2F..%2Fb.png', `${'x'.repeat(250)}.png`, '../../etc/passwd', 'C:\\Windows\\..', ' leading.png'];
/**
 * CSV files refused as a whole. The async import checks the file's start before it creates a job
 * (`atOnce`) and leaves what only reading every row shows to the job, which then fails.
 */
const BROKEN_CSV: { what: string; data: Buffer; atOnce: boolean }[] = [
  { what: 'an empty file', data: Buffer.alloc(0), atOnce: true },
  { what: 'a header only', data: Buffer.from('Episode,Sequence,Shot,Task\n'), atOnce: false },
  { what: 'no Sequence column', data: Buffer.from('Episode,Shot,Task\nep01,sh0010,comp\n'), atOnce: true },
  { what: 'a PNG', data: TINY_PNG, atOnce: true },
  { what: 'a zip archive', data: Buffer.concat([Buffer.from('PK\u0003\u0004', 'latin1'), Buffer.alloc(40, 7)]), atOnce: true },
  { what: 'Windows-1252 text', data: Buffer.from('Episode,Sequence,Shot,Task,Artist\nep01,sq0010,sh0010,comp,Jos\xe9\n', 'latin1'), atOnce: false },
  { what: 'an unclosed quote', data: Buffer.from('Episode,Sequence,Shot,Task\nep01,sq0010,sh0010,"comp\n'), atOnce: false },
];

function formVariants(op: Operation, c: Case): fc.Arbitrary<Case> {
  const form = c.form!;
  const fieldsSchema = formFieldsSchema(op);
  const names = Object.keys(op.route.multipart?.fields.shape ?? {});
  const withForm = (f: FormSpec, why: string, certain: boolean): Case => ({ ...c, form: f, why, certain, formRefused: !certain && fieldsSchema !== undefined && !parses(fieldsSchema, f.fields) });
  const isMedia = op.template.endsWith('/media');
  const file = form.files[0]!;
  const variants: fc.Arbitrary<Case>[] = [
    fc.tuple(fc.constantFrom(...names, ...HOSTILE_KEYS.filter((k) => /^[\w.$ -]{1,40}$/.test(k))), hostileString.filter((s) => s.length < 60_000 && !s.includes('\r') && !s.includes('"'))).map(([name, v]) =>
      withForm({ ...form, fields: { ...form.fields, [name]: v } }, `form field ${name} = ${show(v)}`, false),
    ),
    fc.constantFrom(...Object.keys(form.fields)).map((name) => {
      const fields = { ...form.fields };
      delete fields[name];
      return withForm({ ...form, fields }, `form without ${name}`, false);
    }),
    fc.constant(withForm({ ...form, files: [] }, 'no file', true)),
    fc.constant(withForm({ fields: { ...form.fields, file: file.data.toString('latin1') }, files: [] }, 'the file as a text field', true)),
    fc.constant(withForm({ ...form, files: [file, { ...file, name: `2_${file.name}` }] }, 'two files', true)),
    isMedia
      ? fc.constantFrom(...REFUSED_MEDIA_NAMES).map((name) => withForm({ ...form, files: [{ ...file, name }] }, `file named ${JSON.stringify(name)}`, true))
      : fc
          .constantFrom(...BROKEN_CSV.filter((b) => b.atOnce || !op.template.endsWith('-async')))
          .map(({ what, data }) => withForm({ ...form, files: [{ ...file, data }] }, `a CSV that is ${what}`, true)),
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => {
      const data = Buffer.concat([Buffer.from(bytes), Buffer.from([0])]);
      return withForm({ ...form, files: [{ ...file, name: isMedia ? 'noise.bin' : file.name, data }] }, 'a file of binary noise', true);
    }),
    fc.nat({ max: 10_000 }).map((cut) => {
      const bytes = multipart(form, BOUNDARY);
      return { ...c, raw: { type: `multipart/form-data; boundary=${BOUNDARY}`, bytes: bytes.subarray(0, Math.min(cut, bytes.length - 10)) }, why: `multipart cut at byte ${cut}`, certain: true };
    }),
    fc.constantFrom('multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary=other', 'multipart/mixed; boundary=' + BOUNDARY).map((type) => ({
      ...c,
      raw: { type, bytes: multipart(form, BOUNDARY) },
      why: `content type ${type}`,
      certain: true,
    })),
    fc.uint8Array({ maxLength: 500 }).map((bytes) => ({ ...c, raw: { type: `multipart/form-data; boundary=${BOUNDARY}`, bytes: Buffer.from(bytes) }, why: 'multipart of random bytes', certain: true })),
    fc.constantFrom('application/json', 'text/plain', 'text/csv', 'application/x-www-form-urlencoded').map((type) => ({
      ...c,
      raw: { type, bytes: Buffer.from(type === 'application/json' ? JSON.stringify(form.fields) : 'project_id=SWA&file=x') },
      why: `not multipart (${type})`,
      certain: true,
    })),
  ];
  return fc.oneof(...variants);
}

function variants(op: Operation, caller: CallerKind): fc.Arbitrary<Case> {
  const c = baseCase(op, caller);
  const options: fc.Arbitrary<Case>[] = [];
  for (const name of op.pathParams) {
    options.push(
      fc.oneof(hostileId.map(encodeURIComponent), fc.constantFrom(...RAW_SEGMENTS), fc.constant(encodeURIComponent(foreign[name] ?? 'zz_nothing'))).map((segment) => ({
        ...c,
        params: { ...c.params, [name]: segment },
        why: `path ${name} = ${segment.slice(0, 80)}`,
      })),
    );
  }
  if (op.route.query) {
    const names = op.queryParams;
    const setParam = (name: string, values: string[], why: string): Case => ({ ...c, query: [...c.query.filter(([n]) => n !== name), ...values.map((v) => [name, v] as [string, string])], why });
    options.push(
      fc.tuple(fc.constantFrom(...names), hostileQueryValue).map(([name, v]) => setParam(name, [v], `?${name}=${show(v)}`)),
      fc.tuple(fc.constantFrom(...names), fc.array(hostileQueryValue, { minLength: 2, maxLength: 35 })).map(([name, vs]) => setParam(name, vs, `?${name} repeated ${vs.length} times`)),
      fc.tuple(fc.constantFrom(...HOSTILE_KEYS.filter((k) => k.length < 100 && !names.includes(k)), 'colour', 'pageSize'), hostileQueryValue).map(([name, v]) => setParam(name, [v], `unknown ?${name}=${show(v)}`)),
    );
    if (names.includes('page_token')) {
      options.push(fc.oneof(hostilePageToken, fc.constant(foreignPageToken)).map((t) => setParam('page_token', [t], `page_token ${t === foreignPageToken ? 'of another query' : show(t)}`)));
    }
  }
  if (op.body === 'json') {
    options.push(jsonVariants(op, c), jsonVariants(op, c));
    options.push(fc.constantFrom(...WRONG_JSON_CONTENT_TYPES).map((type) => ({ ...c, raw: { type, bytes: Buffer.from(c.json!) }, why: `JSON sent as ${type}`, certain: true })));
  }
  if (op.body === 'multipart') options.push(formVariants(op, c), formVariants(op, c));
  options.push(fc.constantFrom(...MALFORMED_JSON).map((text) => ({ ...c, json: undefined, form: undefined, raw: { type: 'application/json', bytes: Buffer.from(text) }, why: `malformed JSON ${JSON.stringify(text)}`, certain: true })));
  if (!op.public) {
    options.push(
      fc.constantFrom(...hostileAuthorizations(expiredToken, deletedUserToken, world.admin.token)).map((a) => ({ ...c, headers: { authorization: a }, why: `Authorization: ${a.slice(0, 60)}`, certain: true })),
    );
  }
  if (op.ifMatch) options.push(fc.constantFrom(...HOSTILE_IF_MATCH).map((v) => ({ ...c, headers: { 'if-match': v }, why: `If-Match: ${v}`, certain: true })));
  // Node refuses request lines over 16 KB itself (431, before any app code), as front ends do: stay under it.
  return fc.oneof(...options).filter((v) => encodeCase(op, v, undefined).path.length <= MAX_URL);
}

/** Cases every operation always gets, whatever the seed: for outsiders the well-formed request itself. */
function fixedCases(op: Operation, caller: CallerKind): Case[] {
  const c = baseCase(op, caller);
  if (caller === 'outsider') return [c];
  const cases: Case[] = [
    { ...c, json: undefined, form: undefined, raw: { type: 'application/json', bytes: Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(10 * 1024 * 1024 + 1, 'x'), Buffer.from('"}')]) }, why: 'a JSON body over 10 MB', certain: true },
    { ...c, json: undefined, form: undefined, raw: { type: 'application/json', bytes: Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)) }, why: 'JSON nested 100,000 deep', certain: true },
    { ...c, json: undefined, form: undefined, raw: { type: 'application/json', bytes: Buffer.from('{"a":"\\ud800"}') }, why: 'a lone surrogate', certain: true },
  ];
  const body = base[op.key]?.body;
  if (op.body === 'json' && body !== undefined) {
    const first = pathsOf(body).find((p) => typeof at(body, p.slice(0, -1))[p.at(-1)!] !== 'object');
    const spliced = (value: RawJson) => {
      const copy = clone(body);
      put(at(copy, first!.slice(0, -1)), first!.at(-1)!, value);
      return toJsonText(copy);
    };
    if (first) {
      cases.push({ ...c, json: spliced(new RawJson('['.repeat(100_000) + ']'.repeat(100_000), '')), why: `${first.join('.')} nested 100,000 deep` });
      cases.push({ ...c, json: spliced(new RawJson('"\\ud800"', '')), why: `${first.join('.')} holding a lone surrogate` });
    }
    if (!Array.isArray(body)) {
      const copy = clone(body) as Record<string, unknown>;
      put(copy, 'constructor', { prototype: { polluted: 'yes' } });
      cases.push({ ...c, json: toJsonText(copy), why: 'an extra constructor.prototype field' });
    }
  }
  if (op.body === 'multipart') {
    const bytes = multipart(c.form!, BOUNDARY);
    cases.push({ ...c, raw: { type: `multipart/form-data; boundary=${BOUNDARY}`, bytes: bytes.subarray(0, bytes.length - 60) }, why: 'multipart cut inside the file', certain: true });
  }
  if (!op.public) {
    for (const a of ['', `Bearer ${expiredToken}`, `Bearer ${deletedUserToken}`]) cases.push({ ...c, headers: { authorization: a }, why: `Authorization: ${a.slice(0, 30) || 'none'}`, certain: true });
  }
  op.pathParams.forEach((name, i) => {
    const segments = [encodeURIComponent(foreign[name] ?? 'zz'), ...(i === 0 ? [...RAW_SEGMENTS, encodeURIComponent('a/../../b'), encodeURIComponent('x\u0000y')] : [])];
    for (const segment of segments) cases.push({ ...c, params: { ...c.params, [name]: segment }, why: `path ${name} = ${segment}` });
  });
  return cases;
}

function seedOf(key: string): number {
  return (createHash('sha256').update(key).digest().readUInt32BE(0) ^ SEED) >>> 0;
}

async function attack(op: Operation, caller: CallerKind, user: TestUser) {
  const secrets = caller === 'admin' ? world.rfxSecrets : [...world.rfxSecrets, ...world.swaSecrets];
  const attempt = async (c: Case) => {
    const sent = encodeCase(op, c, user.bearer);
    const res = await send(op.method, sent.path, sent.headers, sent.body);
    checkRefusal(op, c, sent, res, secrets);
  };
  for (const c of fixedCases(op, caller)) if (mustRefuse(op, c, caller)) await attempt(c);
  let tried = 0;
  await fc.assert(
    fc.asyncProperty(variants(op, caller), async (c) => {
      fc.pre(mustRefuse(op, c, caller));
      tried++;
      await attempt(c);
    }),
    { seed: seedOf(`${caller} ${op.key}`), numRuns: caller === 'admin' ? RUNS : Math.ceil(RUNS / 2), maxSkipsPerRun: 50 },
  );
  return tried;
}

// ---------------------------------------------------------------------------------------------

describe('the contract fuzz covers the API', () => {
  it('finds every declared route in the OpenAPI document, and a well-formed request for each that takes a body', () => {
    expect(new Set(operations.map((op) => op.route)).size).toBe(new Set(routes).size);
    const withBody = operations.filter((op) => op.body !== 'none').map((op) => op.key);
    expect(withBody.filter((key) => !(key in base))).toEqual([]);
    // Each well-formed request passes its route's own schema, so variants are refused for what was changed.
    for (const op of operations) {
      const b = base[op.key];
      if (b?.body !== undefined) expect({ op: op.key, valid: parses(op.route.body as z.ZodType, b.body) }).toEqual({ op: op.key, valid: true });
      if (b?.form) expect({ op: op.key, valid: parses(formFieldsSchema(op)!, b.form.fields) }).toEqual({ op: op.key, valid: true });
      if (op.route.query) expect({ op: op.key, valid: parses(op.route.query, b?.query ?? {}) }).toEqual({ op: op.key, valid: true });
    }
  });
});

// The operations share nothing a refused request may touch, so they are attacked five at a time;
// the stored data is compared once all of them are done.
describe.concurrent('hostile input to every operation', () => {
  for (const op of operations) {
    it(`${op.key}: a 4xx envelope for every refused variant, no stack trace, nothing of another project`, async ({ expect }) => {
      const tried = await attack(op, 'admin', world.admin);
      if (!op.public) await attack(op, 'outsider', world.outsider);
      expect(tried).toBeGreaterThan(0);
    }, TIMEOUT);
  }
});

describe('an outsider', () => {
  it('reads and changes nothing of a project through any operation, even with its real ids', async () => {
    const secrets = [...world.swaSecrets, ...world.rfxSecrets];
    for (const op of operations.filter((o) => !o.public && o.key !== 'POST /api/v1/auth/logout')) {
      const c = baseCase(op, 'outsider');
      const sent = encodeCase(op, c, world.outsider.bearer);
      const res = await send(op.method, sent.path, sent.headers, sent.body);
      const asked = sent.path + (sent.body?.toString('utf8') ?? '');
      const leaked = secrets.filter((s) => res.text.includes(s) && !asked.includes(s));
      expect({ op: op.key, leaked }).toEqual({ op: op.key, leaked: [] });
      if (op.pathParams.length > 0) {
        // No existence hint: the project's things are "not found", not "forbidden".
        expect({ op: op.key, status: res.status }).toEqual({ op: op.key, status: 404 });
      } else if (PER_ITEM_OUTCOMES.includes(op.key) && c.query.length === 0) {
        // Per-item answers, unless the call names the project (project_id), which is refused as a whole.
        const body = JSON.parse(res.text) as Record<string, unknown>;
        expect({ op: op.key, status: res.status, updated: (body.updated_tasks as unknown[]).length }).toEqual({ op: op.key, status: 200, updated: 0 });
      } else if (op.body !== 'none' || c.query.length > 0) {
        expect({ op: op.key, refused: res.status >= 400 && res.status < 500 }).toEqual({ op: op.key, refused: true });
      }
    }
  });
});

describe('afterwards', () => {
  it('holds exactly the data it held before the attack', async () => {
    expectSameData(before, await snapshot(ctx), 'the hostile requests');
  });
});
