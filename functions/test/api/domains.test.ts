// Each domain of the API loads on the first request that needs it (http/domains.ts): what a first
// request loads, the table of paths that decides it, and what happens when a load fails.
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { API_DOMAINS, createApp, loadedDomains, type ApiContext } from '../../src/app.js';
import { AccessControl } from '../../src/auth/access.js';
import { Sessions } from '../../src/auth/sessions.js';
import { DomainRoutes, methodsAt, type Domain } from '../../src/http/domains.js';
import { defineRoute, ok, type AnyRoute } from '../../src/http/route.js';
import { API_PREFIX } from '../../src/lib/api-prefix.js';
import { createTestContext, expectEnvelope } from '../support/context.js';

const ctx = createTestContext('domains');
const context: ApiContext = { deps: ctx.deps, access: new AccessControl(ctx.deps.db), sessions: new Sessions() };
const ALL = API_DOMAINS.map((d) => d.name);

describe("the domains' paths", () => {
  it('name, for a path of every route, exactly the domains with a route there', async () => {
    const routes = new Map(await Promise.all(API_DOMAINS.map(async (d) => [d, await d.load(context)] as const)));
    const table = new DomainRoutes(API_DOMAINS, context);
    const all = [...routes.values()].flat();
    // Each parameter as a value no path names, then as each word a path does (where two domains' routes meet: `/tasks/import-csv`).
    const words = [...new Set(all.flatMap((r) => r.path.split('/').filter((s) => s && !s.startsWith('{'))))];
    const samples = new Set(all.flatMap((r) => ['x1', ...words].map((value) => r.path.replace(/\{\w+\}/g, value))));
    const wrong = [...samples].flatMap((path) => {
      const named = table.serving(path).map((d) => d.name);
      const serving = API_DOMAINS.filter((d) => methodsAt(routes.get(d)!, `${API_PREFIX}${path}`).length > 0).map((d) => d.name);
      return named.join() === serving.join() ? [] : [`${path}: the table names ${named.join(', ') || 'nothing'}, routes are in ${serving.join(', ')}`];
    });
    expect(wrong).toEqual([]);
    expect(samples.size).toBeGreaterThan(all.length);
  });
});

describe('a first request', () => {
  it('loads only the domain it needs', async () => {
    const app = createApp(ctx.deps);
    expect(loadedDomains(app)).toEqual([]);
    await request(app).get('/api/v1/health').expect(200);
    expect(loadedDomains(app)).toEqual(['system']);
    expectEnvelope((await request(app).get('/api/v1/tasks').expect(401)).body, 'UNAUTHENTICATED');
    expect(loadedDomains(app)).toEqual(['system', 'tasks']);
    // The root /health is the same system domain's route.
    await request(app).get('/health').expect(200);
    expect(loadedDomains(app)).toEqual(['system', 'tasks']);
  });

  it('answers 404 for a path no domain serves without loading any, and 405 from the domain of the path', async () => {
    const app = createApp(ctx.deps);
    const missing = await request(app).get('/api/v1/does-not-exist').expect(404);
    expect(expectEnvelope(missing.body, 'NOT_FOUND').message).toBe('No route for GET /api/v1/does-not-exist');
    await request(app).post('/somewhere/else').expect(404);
    expect(loadedDomains(app)).toEqual([]);
    const wrongMethod = await request(app).post('/api/v1/audit').expect(405);
    expect(expectEnvelope(wrongMethod.body, 'METHOD_NOT_ALLOWED').message).toBe('Method POST is not allowed on /api/v1/audit; allowed: GET');
    expect(wrongMethod.headers.allow).toBe('GET');
    expect(loadedDomains(app)).toEqual(['audit']);
    // Two domains at one path: the importer's POST and the tasks' GET /tasks/{task_id}.
    const shared = await request(app).put('/api/v1/tasks/import-csv').expect(405);
    expect(shared.headers.allow).toBe('POST, GET, PATCH, DELETE');
    expect(loadedDomains(app)).toEqual(['csv-import', 'tasks', 'audit']);
  });

  it('for the OpenAPI document loads every domain', async () => {
    const app = createApp(ctx.deps);
    const document = (await request(app).get('/api/v1/openapi.json').expect(200)).body as { paths: object };
    expect(Object.keys(document.paths)).toContain('/api/v1/tasks/{task_id}/history');
    expect(loadedDomains(app)).toEqual(ALL);
  });
});

/** A domain of one public route, GET /probe, whose load the test holds and fails at will. */
function probeDomain(load: () => Promise<void>): Domain<ApiContext> {
  const route: AnyRoute = defineRoute({ method: 'get', path: '/probe', summary: 'Probe', tags: ['Probe'], public: true, responses: { 200: { description: 'Loaded' } }, handler: async () => ok({ loaded: true }) });
  return { name: 'probe', paths: ['/probe'], load: async () => (await load(), [route]) };
}

describe('loading a domain', () => {
  it('happens once for concurrent first requests', async () => {
    let loads = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const app = createApp(ctx.deps, [probeDomain(() => (loads++, held))]);
    // Every request has reached the domain's load (synchronously, within the app) before it completes.
    let arrived = 0;
    const host = express().use((req, res, next) => {
      app(req, res, next);
      if (++arrived === 5) release();
    });
    const answers = await Promise.all(Array.from({ length: 5 }, () => request(host).get('/api/v1/probe')));
    expect(answers.map((res) => [res.status, res.body])).toEqual(Array(5).fill([200, { loaded: true }]));
    expect(loads).toBe(1);
  });

  it('answers 503 with the envelope when it fails, and is tried again by the next request', async () => {
    let loads = 0;
    const app = createApp(ctx.deps, [
      probeDomain(async () => {
        if (++loads === 1) throw new Error('Cannot find module /srv/lib/bundle/chunk-PROBE.js');
      }),
    ]);
    const failed = await request(app).get('/api/v1/probe').expect(503);
    expect(expectEnvelope(failed.body, 'UNAVAILABLE').message).toBe('This part of the API (probe) could not be started; try again shortly');
    expect(failed.headers['retry-after']).toBe('1');
    expect(failed.text).not.toMatch(/chunk-PROBE|\bat /);
    expect(loadedDomains(app)).toEqual([]);
    expect((await request(app).get('/api/v1/probe').expect(200)).body).toEqual({ loaded: true });
    expect(loadedDomains(app)).toEqual(['probe']);
    expect(loads).toBe(2);
  });
});
