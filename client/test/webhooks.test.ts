// verifyWebhookSignature as a receiver uses it, on headers made the way the API signs
// (functions/src/webhooks/signature.ts).
import { describe, expect, it } from 'vitest';
import { signatureHeader } from '../../functions/src/webhooks/signature.js';
import { verifyWebhookSignature } from '../src/node.js';

const body = JSON.stringify({ id: 'evt_1', type: 'task_updated', project_id: 'SWA', data: { task_id: 't', changes: { status: 'approved' } } });
const now = new Date('2025-06-01T12:00:00Z');

describe('verifyWebhookSignature', () => {
  it('accepts a delivery signed with the secret, as text or bytes', () => {
    const header = signatureHeader(['whsec_a'], body, now);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature('whsec_a', header, body, { now })).toBe(true);
    expect(verifyWebhookSignature('whsec_a', header, new TextEncoder().encode(body), { now })).toBe(true);
  });

  it('refuses another secret, a changed body, and malformed headers', () => {
    const header = signatureHeader(['whsec_a'], body, now);
    expect(verifyWebhookSignature('whsec_b', header, body, { now })).toBe(false);
    expect(verifyWebhookSignature('whsec_a', header, body.replace('approved', 'rejected'), { now })).toBe(false);
    for (const bad of ['', 'v1=abc', 't=abc,v1=00', `t=1,t=2,${header.split(',')[1]}`, header.replace(/v1=/, 'v0=')]) {
      expect(verifyWebhookSignature('whsec_a', bad, body, { now })).toBe(false);
    }
  });

  it('refuses a timestamp outside the tolerance (five minutes unless told)', () => {
    const header = signatureHeader(['whsec_a'], body, now);
    const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);
    expect(verifyWebhookSignature('whsec_a', header, body, { now: later(299) })).toBe(true);
    expect(verifyWebhookSignature('whsec_a', header, body, { now: later(301) })).toBe(false);
    expect(verifyWebhookSignature('whsec_a', header, body, { now: later(-301) })).toBe(false);
    expect(verifyWebhookSignature('whsec_a', header, body, { now: later(3000), toleranceSeconds: 3600 })).toBe(true);
  });

  it('accepts either secret during a rollover', () => {
    const header = signatureHeader(['whsec_new', 'whsec_old'], body, now);
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifyWebhookSignature('whsec_new', header, body, { now })).toBe(true);
    expect(verifyWebhookSignature('whsec_old', header, body, { now })).toBe(true);
    expect(verifyWebhookSignature('whsec_other', header, body, { now })).toBe(false);
  });
});
