import { Firestore } from '@google-cloud/firestore';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { freePort } from '../../../stack/ports.mjs';
import { createTestContext } from '../support/context.js';

const ctx = createTestContext('health');

describe('health when Firestore is unreachable', () => {
  it('answers 503 with a degraded status at both health paths', async () => {
    const nowhere = await freePort();
    const db = new Firestore({ projectId: ctx.dataProjectId, host: '127.0.0.1', port: nowhere, ssl: false, customHeaders: { Authorization: 'Bearer owner' } });
    const app = createApp({ ...ctx.deps, db: db as unknown as typeof ctx.deps.db });
    const res = await request(app).get('/health').expect(503);
    expect(res.body).toEqual({ status: 'degraded', timestamp: expect.any(String), checks: { firestore: 'unreachable' } });
    // The probe's answer is reused for a few seconds, so a flood of health checks costs one read.
    const started = Date.now();
    const again = await request(app).get('/api/v1/health').expect(503);
    expect(again.body.status).toBe('degraded');
    expect(Date.now() - started).toBeLessThan(1000);
    void db.terminate();
  });
});
