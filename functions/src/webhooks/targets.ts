// Where a webhook may send: https only, and never to an address inside a network (private,
// loopback, link-local, and the other special ranges), so a webhook cannot reach the machines
// around the function. Checked when a webhook is saved and again before every attempt, on the
// addresses resolved then; the request then connects to the very address that was checked, so a
// name that resolves differently a moment later (DNS rebinding) changes nothing.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Ranges no webhook reaches, loopback aside (a param may allow that). */
const REFUSED = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['169.254.0.0', 16], // link-local, where cloud metadata servers answer
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) REFUSED.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['64:ff9b::', 96], // NAT64: an IPv4 address in disguise
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) REFUSED.addSubnet(net, bits, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

export type AddressKind = 'public' | 'loopback' | 'internal';

/** `::ffff:7f00:1` (how URLs write `::ffff:127.0.0.1`) → `127.0.0.1`; other addresses unchanged. */
function unmapped(address: string): string {
  const m = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!m) return address;
  if (m[1]) return m[1];
  const high = parseInt(m[2]!, 16);
  const low = parseInt(m[3]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** What kind of network an IP address is in. */
export function addressKind(raw: string): AddressKind {
  const address = unmapped(raw);
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (LOOPBACK.check(address, family)) return 'loopback';
  return REFUSED.check(address, family) ? 'internal' : 'public';
}

export interface Target {
  url: URL;
  /** The checked address to connect to. */
  address: string;
  family: 4 | 6;
}

export type TargetCheck = { ok: true; target: Target } | { ok: false; reason: string };

export type Resolve = (host: string) => Promise<{ address: string; family: number }[]>;

const resolveAll: Resolve = (host) => lookup(host, { all: true, verbatim: true });

/**
 * Checks a webhook URL and resolves its host. Every address the name resolves to must be allowed
 * (one bad answer among good ones is refused too: the next lookup may pick it).
 */
export async function checkTarget(raw: string, allowLoopback: boolean, resolve: Resolve = resolveAll): Promise<TargetCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a URL' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowLoopback)) return { ok: false, reason: `must be https, not ${url.protocol.replace(':', '')}` };
  if (url.username || url.password) return { ok: false, reason: 'may not carry a user name or password' };
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolve(host);
  } catch {
    return { ok: false, reason: `has a host name that does not resolve (${host})` };
  }
  if (addresses.length === 0) return { ok: false, reason: `has a host name that does not resolve (${host})` };
  const kinds = addresses.map((a) => ({ ...a, kind: addressKind(a.address) }));
  const refused = kinds.find((a) => a.kind === 'internal' || (a.kind === 'loopback' && !allowLoopback));
  if (refused) return { ok: false, reason: `resolves to ${refused.address}, a ${refused.kind === 'loopback' ? 'loopback' : 'private, link-local or reserved'} address` };
  const loopbackOnly = kinds.every((a) => a.kind === 'loopback');
  // Plain http only where nothing leaves the machine.
  if (url.protocol === 'http:' && !loopbackOnly) return { ok: false, reason: 'must be https' };
  const [first] = kinds;
  return { ok: true, target: { url, address: first!.address, family: first!.family === 6 ? 6 : 4 } };
}
