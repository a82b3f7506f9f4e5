// Which webhook targets are refused, with name resolution given (no DNS needed).
import { describe, expect, it } from 'vitest';
import { addressKind, checkTarget, type Resolve } from '../../src/webhooks/targets.js';

const resolvesTo = (...addresses: string[]): Resolve => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('addressKind', () => {
  it('tells public, loopback and internal addresses apart, IPv4 in IPv6 included', () => {
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '172.32.0.1', '100.128.0.1']) expect(addressKind(a), a).toBe('public');
    for (const a of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1', '::ffff:7f00:1']) expect(addressKind(a), a).toBe('loopback');
    for (const a of ['10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', 'fd12::1', 'fe80::1', '::', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe', '64:ff9b::a00:1']) {
      expect(addressKind(a), a).toBe('internal');
    }
  });
});

describe('checkTarget', () => {
  it('accepts https to a public name and connects to the address it checked', async () => {
    const check = await checkTarget('https://hooks.studio.test/montu?x=1', false, resolvesTo('93.184.216.34'));
    expect(check).toMatchObject({ ok: true, target: { address: '93.184.216.34', family: 4 } });
  });

  it('refuses a name with any internal answer among public ones (the next lookup may pick it)', async () => {
    const check = await checkTarget('https://rebind.studio.test/', false, resolvesTo('93.184.216.34', '10.0.0.5'));
    expect(check).toEqual({ ok: false, reason: 'resolves to 10.0.0.5, a private, link-local or reserved address' });
  });

  it('refuses loopback unless allowed, and plain http anywhere but loopback', async () => {
    expect(await checkTarget('https://localhost:8443/', false, resolvesTo('127.0.0.1', '::1'))).toMatchObject({ ok: false, reason: expect.stringContaining('loopback') });
    expect(await checkTarget('http://localhost:8080/', false, resolvesTo('127.0.0.1'))).toEqual({ ok: false, reason: 'must be https, not http' });
    expect(await checkTarget('http://localhost:8080/', true, resolvesTo('127.0.0.1', '::1'))).toMatchObject({ ok: true, target: { address: '127.0.0.1' } });
    expect(await checkTarget('http://hooks.studio.test/', true, resolvesTo('93.184.216.34'))).toEqual({ ok: false, reason: 'must be https' });
  });

  it('refuses names that do not resolve, and URLs with credentials', async () => {
    const fails: Resolve = async () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    expect(await checkTarget('https://gone.studio.test/', false, fails)).toEqual({ ok: false, reason: 'has a host name that does not resolve (gone.studio.test)' });
    expect(await checkTarget('https://a:b@hooks.studio.test/', false, resolvesTo('93.184.216.34'))).toEqual({ ok: false, reason: 'may not carry a user name or password' });
  });
});
