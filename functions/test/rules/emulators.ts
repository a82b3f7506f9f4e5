// Security rules are evaluated only by the official emulators. These probes tell whether the
// emulators the tests were given evaluate them: the official Firestore emulator always does; the
// Storage emulator only when the Firebase CLI started it with its rules runtime (a download), not
// when it runs in-process without one (stack/storage.mjs).

export type RulesTarget = { ok: true; host: string; port: number } | { ok: false; reason: string };

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
  return { ok: true, ...split(host) };
}

/**
 * Whether the Storage emulator at `host` evaluates rules. firebase-tools' Storage emulator only
 * has its rules runtime when the CLI started it, and then the Emulator hub lists it; the offline
 * stack runs the same code in-process without that runtime (loading rules there fails inside the
 * emulator, so the probe never tries).
 */
export async function probeStorageRules(host: string | undefined, hub: string | undefined): Promise<RulesTarget> {
  if (!host) return { ok: false, reason: 'FIREBASE_STORAGE_EMULATOR_HOST is not set' };
  const offline = `the Storage emulator at ${host} is not one the Firebase CLI started, so it cannot evaluate security rules (its rules runtime is a download this machine cannot make)`;
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
  return { ok: true, ...target };
}

/**
 * Where the Firestore rules tests run: the test run's Firestore emulator, which must be the official
 * one (the test setup starts it). Never a reason to skip: a run without it is a failed run.
 */
export async function firestoreRulesTarget(env: NodeJS.ProcessEnv = process.env): Promise<{ host: string; port: number }> {
  const probe = await probeFirestoreRules(env.FIRESTORE_EMULATOR_HOST);
  if (!probe.ok) throw new Error(`the Firestore rules tests need the official Firestore emulator: ${probe.reason}`);
  return probe;
}
