// Each defect the contract fuzz found, pinned as one exact case: all were 500s (or a crashed
// instance) before the fix.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, expectEnvelope } from '../support/context.js';
import { buildWorld, expectSameData, snapshot, type World } from './world.js';

const ctx = createTestContext('fuzz-regressions', { rateLimitPerMinute: 1_000_000 });
let world: World;
let task: string;

beforeAll(async () => {
  world = await buildWorld(ctx);
  task = world.swa.tasks[0]!;
});

const patchTask = (body: string, headers: Record<string, string> = {}) =>
  ctx.http().patch(`/api/v1/tasks/${task}`).set('Authorization', world.admin.bearer).set(headers).set('Content-Type', 'application/json').send(body);

describe('the shared HTTP layer', () => {
  it('answers a path parameter with broken percent-encoding with 400', async () => {
    const res = await ctx.http().get('/api/v1/tasks/%E0%A4%A').set('Authorization', world.admin.bearer).expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').message).toBe('The URL path holds malformed percent-encoding');
  });

  it("refuses a user id of Firestore's reserved __x__ form before it names a membership document", async () => {
    const res = await ctx.http().delete('/api/v1/projects/SWA/users/__name__').set('Authorization', world.admin.bearer).expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').message).toBe('Invalid path parameter: path.user_id: User id may not have the form __x__ (reserved by Firestore)');
  });

  it('answers an If-Match past the year 9999 as malformed (400), not as a crash', async () => {
    const res = await patchTask('{"status":"on_hold"}', { 'If-Match': '"999999999999.000000000"' }).expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').details).toEqual({ field: 'If-Match', issue: 'malformed' });
  });

  it('refuses JSON holding a lone surrogate, naming the field', async () => {
    const res = await ctx.http().post('/api/v1/annotations').set('Authorization', world.admin.bearer).set('Content-Type', 'application/json').send(`{"media_id":"${world.swa.media}","annotation_type":"note","content":"\\ud800"}`).expect(400);
    const error = expectEnvelope(res.body, 'VALIDATION_ERROR');
    expect(error.message).toBe('content: text is not valid Unicode (it holds a lone surrogate)');
    expect(error.details).toEqual({ field: 'content', issue: 'not valid Unicode' });
  });

  it('refuses JSON nested deeper than 64 levels before any validator recurses into it', async () => {
    const res = await ctx.http().post(`/api/v1/tasks/${task}/add-field`).set('Authorization', world.admin.bearer).set('Content-Type', 'application/json').send(`{"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`).expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').message).toBe('JSON body is nested deeper than 64 levels');
  });

  describe('a multipart body cut off inside the file', () => {
    let server: http.Server;
    beforeAll(async () => {
      server = http.createServer(ctx.app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    it('is a 400, and the process survives it', async () => {
      const crashes: Error[] = [];
      const onCrash = (err: Error) => crashes.push(err);
      process.on('uncaughtException', onCrash);
      const body = Buffer.from(
        '--b\r\nContent-Disposition: form-data; name="project_id"\r\n\r\nSWA\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="shots.csv"\r\nContent-Type: text/csv\r\n\r\nEpisode,Sequence,Shot,Task\nep01,sq0',
      );
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'POST', path: '/api/v1/tasks/import-csv', headers: { authorization: world.admin.bearer, 'content-type': 'multipart/form-data; boundary=b', 'content-length': body.length } },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      process.off('uncaughtException', onCrash);
      expect(answer.status).toBe(400);
      expect(expectEnvelope(JSON.parse(answer.text), 'VALIDATION_ERROR').message).toBe('Malformed multipart request: Unexpected end of form');
      expect(crashes).toEqual([]);
    });
  });
});

describe('a __proto__ key in a JSON body', () => {
  it('is refused before validation, which would turn it into the prototype of the parsed fields', async () => {
    const res = await ctx.http().post(`/api/v1/tasks/${task}/add-field`).set('Authorization', world.admin.bearer).set('Content-Type', 'application/json').send('{"__proto__":{"admin":true},"admin":true}').expect(400);
    const error = expectEnvelope(res.body, 'VALIDATION_ERROR');
    expect(error.message).toBe('body: a field may not be named __proto__');
    expect(error.details).toEqual({ field: '__proto__', issue: 'reserved name' });
    const after = await ctx.http().get(`/api/v1/tasks/${task}`).set('Authorization', world.admin.bearer).expect(200);
    expect(after.body.admin).toBeUndefined();
  });
});

describe('task fields named like what every object inherits', () => {
  it('are refused as reserved names in an update, not a crash', async () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      const res = await patchTask(`{"${name}":{"prototype":{"polluted":"yes"}}}`).expect(400);
      expect(expectEnvelope(res.body, 'VALIDATION_ERROR').details).toMatchObject({ field: name, issue: `${name} is reserved; custom fields need another name` });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('are reserved as custom field names', async () => {
    const res = await ctx.http().post(`/api/v1/tasks/${task}/add-field`).set('Authorization', world.admin.bearer).send({ toString: 'x' }).expect(400);
    expect(expectEnvelope(res.body, 'VALIDATION_ERROR').details).toMatchObject({ field: 'toString', issue: 'toString is a task field or reserved; custom fields need another name' });
  });
});

describe('free-form JSON that Firestore cannot store', () => {
  it('is refused in client_submission_history and custom fields, naming the problem, and nothing is written', async () => {
    const before = await snapshot(ctx);
    const deep = JSON.parse(`${'{"a":'.repeat(25)}1${'}'.repeat(25)}`) as unknown;
    const cases: [string, unknown, string][] = [
      ['PATCH', { client_submission_history: [{ '': 1 }] }, 'client_submission_history.0: Map keys may not be empty'],
      ['PATCH', { client_submission_history: [{ __name__: 1 }] }, 'client_submission_history.0: Map key __name__ is reserved by Firestore (__name__ form)'],
      ['PATCH', { client_submission_history: [{ note: deep }] }, 'client_submission_history.0: Value is nested deeper than 20 levels'],
      ['PATCH', { client_submission_history: [{ frames: [[1001, 1002]] }] }, 'client_submission_history.0: Arrays may not directly contain arrays (Firestore cannot store them)'],
      ['POST', { blank_keys: { '': 1 } }, 'blank_keys: Map keys may not be empty'],
    ];
    for (const [method, body, issue] of cases) {
      const res =
        method === 'PATCH'
          ? await patchTask(JSON.stringify(body))
          : await ctx.http().post(`/api/v1/tasks/${task}/add-field`).set('Authorization', world.admin.bearer).send(body as object);
      expect({ issue, status: res.status }).toEqual({ issue, status: 400 });
      const [field, ...rest] = issue.split(': ');
      expect(expectEnvelope(res.body, 'VALIDATION_ERROR').details).toMatchObject({ field, issue: rest.join(': ') });
    }
    expectSameData(before, await snapshot(ctx), 'unstorable values');
  });
});
