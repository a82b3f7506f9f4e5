// Security rules are evaluated only by the official emulators. These helpers find one: the
// Firestore emulator the environment points at when it is the official one (under
// `firebase emulators:exec`), else an official Firestore emulator this machine can start itself
// (its jar and a Java 21+ runtime), else a clear reason to skip. The offline stack's Firestore
// stand-in and its in-process Storage emulator do not evaluate rules.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../stack/ports.mjs';

export type RulesTarget = { ok: true; host: string; port: number; stop: () => Promise<void> } | { ok: false; reason: string };

/** A syntactically valid ruleset that allows nothing: what the probes load. */
export const PROBE_FIRESTORE_RULES = "rules_version = '2';\nservice cloud.firestore { match /databases/{database}/documents { match /{d=**} { allow read, write: if false; } } }\n";

const PROBE_TIMEOUT_MS = 3000;

function split(host: string): { host: string; port: number } {
  const at = host.lastIndexOf(':');
  return { host: host.slice(0, at), port: Number(host.slice(at + 1)) };
}

async function request(url: string, init: RequestInit = {}): Promise<{ status: number; text: string } | { error: string }> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { error: cause?.code ?? cause?.message ?? (err as Error).message };
  }
}

/**
 * Whether the Firestore emulator at `host` evaluates security rules: the official one answers
 * `GET /` with "Ok" and accepts rules at `PUT /emulator/v1/projects/{p}:securityRules`.
 */
export async function probeFirestoreRules(host: string | undefined): Promise<RulesTarget> {
  if (!host) return { ok: false, reason: 'FIRESTORE_EMULATOR_HOST is not set' };
  const root = await request(`http://${host}/`);
  if ('error' in root || root.status !== 200 || root.text.trim() !== 'Ok') {
    const answer = 'error' in root ? `failed (${root.error})` : `answered ${root.status} ${JSON.stringify(root.text.slice(0, 60))}`;
    return { ok: false, reason: `the Firestore emulator at ${host} is not the official one (GET / ${answer}), so it cannot evaluate security rules` };
  }
  const rules = await request(`http://${host}/emulator/v1/projects/demo-rules-probe:securityRules`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rules: { files: [{ content: PROBE_FIRESTORE_RULES }] } }),
  });
  if ('error' in rules || rules.status !== 200) {
    const answer = 'error' in rules ? `failed (${rules.error})` : `answered ${rules.status} ${JSON.stringify(rules.text.slice(0, 120))}`;
    return { ok: false, reason: `the Firestore emulator at ${host} does not accept security rules (PUT :securityRules ${answer})` };
  }
  return { ok: true, ...split(host), stop: async () => {} };
}

/**
 * Whether the Storage emulator at `host` evaluates rules. firebase-tools' Storage emulator only
 * has its rules runtime when the CLI started it, and then the Emulator hub lists it; the offline
 * stack runs the same code in-process without that runtime (loading rules there fails inside the
 * emulator, so the probe never tries).
 */
export async function probeStorageRules(host: string | undefined, hub: string | undefined): Promise<RulesTarget> {
  if (!host) return { ok: false, reason: 'FIREBASE_STORAGE_EMULATOR_HOST is not set' };
  const offline = `the Storage emulator at ${host} is not one the Firebase CLI started, so it cannot evaluate security rules (run under the official emulators: npm run test:official)`;
  if (!hub) return { ok: false, reason: `${offline}; FIREBASE_EMULATOR_HUB is not set` };
  const listed = await request(`http://${hub}/emulators`);
  if ('error' in listed || listed.status !== 200) return { ok: false, reason: `${offline}; the Emulator hub at ${hub} did not answer` };
  let storage: { host?: string; port?: number } | undefined;
  try {
    storage = (JSON.parse(listed.text) as Record<string, { host?: string; port?: number }>).storage;
  } catch {
    return { ok: false, reason: `${offline}; the Emulator hub at ${hub} answered something else than JSON` };
  }
  const target = split(host);
  if (!storage || storage.port !== target.port) return { ok: false, reason: `${offline}; the Emulator hub at ${hub} lists no Storage emulator on port ${target.port}` };
  return { ok: true, ...target, stop: async () => {} };
}

/** Java's major version from `java -version` output (`openjdk version "21.0.2"`, `"1.8.0_392"`). */
export function javaMajorVersion(versionOutput: string): number | null {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return null;
  return m[1] === '1' && m[2] ? Number(m[2]) : Number(m[1]);
}

function javaCandidates(): string[] {
  const found = [process.env.JAVA_HOME && join(process.env.JAVA_HOME, 'bin', 'java'), 'java'];
  if (existsSync('/usr/lib/jvm')) for (const dir of readdirSync('/usr/lib/jvm')) found.push(join('/usr/lib/jvm', dir, 'bin', 'java'));
  return found.filter((j): j is string => !!j);
}

/** A Java 21+ runtime (what the Firestore emulator needs), or null. */
export function findJava(): string | null {
  for (const java of javaCandidates()) {
    if (java !== 'java' && !existsSync(java)) continue;
    const run = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 10_000 });
    const major = javaMajorVersion(`${run.stderr ?? ''}${run.stdout ?? ''}`);
    if (major !== null && major >= 21) return java;
  }
  return null;
}

/** The official Firestore emulator jar: firebase-tools' download cache, or the Google Cloud CLI's component. */
export function findFirestoreJar(): string | null {
  const candidates: string[] = [];
  if (process.env.FIRESTORE_EMULATOR_JAR) candidates.push(process.env.FIRESTORE_EMULATOR_JAR);
  const cache = join(homedir(), '.cache', 'firebase', 'emulators');
  if (existsSync(cache)) candidates.push(...readdirSync(cache).filter((f) => /^cloud-firestore-emulator.*\.jar$/.test(f)).sort().reverse().map((f) => join(cache, f)));
  candidates.push('/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar');
  return candidates.find((c) => existsSync(c)) ?? null;
}

/** Starts the official Firestore emulator on a free port and waits until it answers. */
export async function startOfficialFirestore(java: string, jar: string): Promise<RulesTarget> {
  const port = await freePort();
  const child: ChildProcess = spawn(java, ['-Duser.language=en', '-cp', jar, 'com.google.cloud.datastore.emulator.firestore.CloudFirestore', 'start', '--host=127.0.0.1', `--port=${port}`], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Never outlive the test process, even when it ends without running afterAll.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 40_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const probe = await probeFirestoreRules(host);
    if (probe.ok) return { ...probe, stop };
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  return { ok: false, reason: `the official Firestore emulator (${jar}) did not start on ${host}` };
}

/**
 * Where to run Firestore rules tests: the environment's emulator when it is the official one,
 * else one started here, else why not.
 */
export async function firestoreRulesTarget(env: NodeJS.ProcessEnv = process.env): Promise<RulesTarget> {
  const configured = await probeFirestoreRules(env.FIRESTORE_EMULATOR_HOST);
  if (configured.ok) return configured;
  const jar = findFirestoreJar();
  const java = jar ? findJava() : null;
  if (!jar || !java) {
    const missing = !jar ? 'no official Firestore emulator jar was found' : 'no Java 21+ runtime was found';
    return { ok: false, reason: `${configured.reason}; ${missing} to start one here (run under the official emulators: npm run test:official)` };
  }
  return startOfficialFirestore(java, jar);
}
