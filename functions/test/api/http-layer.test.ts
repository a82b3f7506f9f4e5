import { describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope } from '../support/context.js';

const ctx = createTestContext('http');

describe('shared HTTP layer', () => {
  it('answers /health and /api/v1/health with the spec shape', async () => {
    for (const path of ['/health', '/api/v1/health']) {
      const res = await ctx.http().get(path).expect(200);
      expect(res.body.status).toBe('healthy');
      expect(new Date(res.body.timestamp).toISOString()).toBe(res.body.timestamp);
    }
  });

  it('gives every response a request id, and echoes a sane caller-supplied one', async () => {
    const generated = await ctx.http().get('/health');
    expect(generated.headers['x-request-id']).toMatch(/^req_[0-9a-f]{16}$/);
    const echoed = await ctx.http().get('/api/v1/nope').set('X-Request-Id', 'client-42');
    expect(echoed.headers['x-request-id']).toBe('client-42');
    expect(expectEnvelope(echoed.body, 'NOT_FOUND').request_id).toBe('client-42');
    const hostile = await ctx.http().get('/health').set('X-Request-Id', '<script>');
    expect(hostile.headers['x-request-id']).toMatch(/^req_/);
  });

  it('answers unknown routes with a 404 envelope', async () => {
    const res = await ctx.http().get('/api/v1/does-not-exist').expect(404);
    expect(expectEnvelope(res.body, 'NOT_FOUND').message).toBe('No route for GET /api/v1/does-not-exist');
    await ctx.http().get('/somewhere/else').expect(404);
  });

  it('always carries details: null where an error has nothing to add (unknown route, wrong method, no token)', async () => {
    const answers = [await ctx.http().get('/api/v1/does-not-exist'), await ctx.http().delete('/api/v1/health'), await ctx.http().get('/api/v1/projects')];
    expect(answers.map((res) => [res.status, res.body.error.details])).toEqual([
      [404, null],
      [405, null],
      [401, null],
    ]);
  });

  it('answers a wrong method on a known path with 405 and Allow', async () => {
    const res = await ctx.http().delete('/api/v1/health').expect(405);
    expectEnvelope(res.body, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('GET');
  });

  it('answers malformed JSON with a 400 envelope before authentication', async () => {
    const res = await ctx.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"email": "a@b.c",').expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').message).toMatch(/^Malformed JSON body/);
  });

  it('refuses a non-JSON body where JSON is expected', async () => {
    const res = await ctx.http().post('/api/v1/auth/login').set('Content-Type', 'text/plain').send('email=a').expect(415);
    expect(expectEnvelope(res.body, 'UNSUPPORTED_MEDIA_TYPE').message).toBe('This route takes application/json, not text/plain');
  });

  it('names each bad field in validation details', async () => {
    const res = await ctx.http().post('/api/v1/auth/login').send({ email: 'not-an-email', extra: 1 }).expect(400);
    const error = expectEnvelope(res.body, 'VALIDATION_ERROR');
    const fields = (error.details as { errors: { field: string }[] }).errors.map((e) => e.field).sort();
    expect(fields).toEqual(['body', 'email', 'password']);
    expect(error.message).toContain('Unknown field(s): extra');
  });

  it('answers CORS preflights for configured origins only', async () => {
    const allowed = await ctx.http().options('/api/v1/tasks').set('Origin', 'http://localhost:3000').set('Access-Control-Request-Method', 'PATCH').expect(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(allowed.headers['access-control-allow-headers']).toContain('If-Match');
    const other = await ctx.http().get('/health').set('Origin', 'https://evil.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves the OpenAPI 3.1 document built from the route declarations', async () => {
    const res = await ctx.http().get('/api/v1/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    const login = res.body.paths['/api/v1/auth/login'].post;
    expect(login.security).toEqual([]);
    expect(login.requestBody.content['application/json'].schema.required).toEqual(['email', 'password']);
    expect(res.body.paths['/api/v1/stats'].get.security).toEqual([{ bearerAuth: [] }]);
    expect(res.body.components.schemas.ErrorEnvelope.properties.error.required).toEqual(['code', 'message', 'details', 'timestamp', 'request_id']);
  });

  it('documents a multipart form as the fields the router checks, with the file part', async () => {
    const doc = (await ctx.http().get('/api/v1/openapi.json').expect(200)).body;
    const upload = doc.paths['/api/v1/media'].post;
    const form = upload.requestBody.content['multipart/form-data'].schema;
    expect(Object.keys(form.properties)).toEqual(['task_id', 'project_id', 'version', 'description', 'tags', 'file']);
    expect(form.properties.file).toEqual({ type: 'string', format: 'binary', description: 'The media file' });
    expect(form.properties.version.default).toBe('v001');
    expect(form.required).toEqual(['task_id', 'file']);
    expect(form.additionalProperties).toBe(false);
    expect(upload.responses['415'].description).toBe('The body is not multipart/form-data (UNSUPPORTED_MEDIA_TYPE)');
  });

  it('points every $ref of the document at one of its components (no schema-local $defs, which ReDoc cannot resolve)', async () => {
    const doc = (await ctx.http().get('/api/v1/openapi.json').expect(200)).body;
    const refs = new Set<string>();
    JSON.stringify(doc, (key, value) => (key === '$ref' && refs.add(value), value));
    expect(refs.size).toBeGreaterThan(1);
    expect(JSON.stringify(doc)).not.toContain('$defs');
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\/[\w.-]+$/);
      expect(doc.components.schemas[ref.split('/').pop()!], ref).toBeDefined();
    }
  });

  it('serves Swagger UI and ReDoc from packaged assets', async () => {
    const docs = await ctx.http().get('/docs').expect(200);
    expect(docs.text).toContain('swagger-ui-bundle.js');
    const bundle = await ctx.http().get('/docs/assets/swagger-ui-bundle.js').expect(200);
    expect(bundle.headers['content-type']).toContain('javascript');
    const redoc = await ctx.http().get('/redoc').expect(200);
    expect(redoc.text).toContain('spec-url="/api/v1/openapi.json"');
    await ctx.http().get('/redoc/redoc.standalone.js').expect(200);
  });
});
