// What the official Firestore (and Pub/Sub) emulators need that npm does not install: a Java 21+
// runtime and the emulators' jars. Found, never substituted: when something is missing the caller
// stops and prints `problem`, which says exactly what to install.
//
// Java: JAVA_HOME, then `java` on PATH, then every JDK in the system's JVM folders.
// Firestore jar: firebase-tools' own download cache; else the Google Cloud CLI's component (its jar
// has no Main-Class, so a two-line launcher jar names it); else firebase-tools downloads its own
// (where the network allows). Pub/Sub: the same, with the Cloud CLI's start script.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MIN_JAVA = 21;
const JVM_FOLDERS = ['/usr/lib/jvm', '/usr/java', '/Library/Java/JavaVirtualMachines'];
const FIREBASE_CACHE = path.join(homedir(), '.cache', 'firebase', 'emulators');
const FIRESTORE_MAIN_CLASS = 'com.google.cloud.datastore.emulator.firestore.CloudFirestore';
/** Where launcher jars are written: inside this clone, ignored by git. */
const LAUNCHER_DIR = path.join(ROOT, 'node_modules', '.cache', 'montu-emulators');

const INSTALL_JAVA = `Install a Java ${MIN_JAVA}+ runtime (e.g. Temurin ${MIN_JAVA} or newer, or Debian's openjdk-${MIN_JAVA}-jre-headless) and put it on PATH or in JAVA_HOME.`;
const INSTALL_FIRESTORE =
  'Let firebase-tools download its Firestore emulator (`npx firebase setup:emulators:firestore`, needs network), ' +
  'or install the Google Cloud CLI component: `gcloud components install cloud-firestore-emulator` ' +
  "(Debian/Ubuntu package: google-cloud-cli-firestore-emulator).";

/** Java's major version from `java -version` output (`openjdk version "21.0.2"`, `"1.8.0_392"`). */
export function javaMajorVersion(versionOutput) {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return null;
  return m[1] === '1' && m[2] ? Number(m[2]) : Number(m[1]);
}

function javaCandidates(env) {
  const found = [];
  if (env.JAVA_HOME) found.push(path.join(env.JAVA_HOME, 'bin', 'java'));
  found.push('java');
  for (const folder of JVM_FOLDERS) {
    if (!existsSync(folder)) continue;
    for (const dir of readdirSync(folder).sort().reverse()) {
      found.push(path.join(folder, dir, 'bin', 'java'), path.join(folder, dir, 'Contents', 'Home', 'bin', 'java'));
    }
  }
  return found;
}

/** The first Java 21+ runtime: `{ java, home, major }`, or null. */
export function findJava(env = process.env) {
  for (const java of javaCandidates(env)) {
    if (java !== 'java' && !existsSync(java)) continue;
    const run = spawnSync(java, ['-XshowSettings:properties', '-version'], { encoding: 'utf8', timeout: 15_000 });
    const out = `${run.stderr ?? ''}${run.stdout ?? ''}`;
    const major = javaMajorVersion(out);
    if (major === null || major < MIN_JAVA) continue;
    const home = /^\s*java\.home = (.+)$/m.exec(out)?.[1]?.trim() ?? path.dirname(path.dirname(java));
    return { java: path.join(home, 'bin', 'java'), home, major };
  }
  return null;
}

/** The Google Cloud CLI's SDK root (asked offline), or null. */
function cloudSdkRoot(env) {
  const run = spawnSync('gcloud', ['info', '--format=value(installation.sdk_root)'], { encoding: 'utf8', timeout: 30_000, env });
  const root = run.status === 0 ? run.stdout.trim() : '';
  return root && existsSync(root) ? root : null;
}

/** firebase-tools' cached download of an emulator (`cloud-firestore-emulator-v1.19.9.jar`), newest first. */
function cachedDownload(prefix) {
  if (!existsSync(FIREBASE_CACHE)) return null;
  const files = readdirSync(FIREBASE_CACHE).filter((f) => f.startsWith(prefix) && !f.endsWith('.zip')).sort().reverse();
  return files.length ? path.join(FIREBASE_CACHE, files[0]) : null;
}

/** A jar whose manifest starts `mainClass` from `jar`: what `java -jar` needs of a jar without a Main-Class. */
function launcherJar(java, jar, mainClass) {
  const jarTool = path.join(java.home, 'bin', 'jar');
  if (!existsSync(jarTool)) return { problem: `The Java at ${java.home} has no \`jar\` tool (a JRE); install a JDK ${MIN_JAVA}+ to start the Google Cloud CLI's emulator jar.` };
  mkdirSync(LAUNCHER_DIR, { recursive: true });
  const name = path.basename(jar, '.jar');
  const manifest = path.join(LAUNCHER_DIR, `${name}.manifest`);
  const launcher = path.join(LAUNCHER_DIR, `${name}-launcher.jar`);
  writeFileSync(manifest, `Main-Class: ${mainClass}\nClass-Path: ${new URL(`file://${jar}`).href}\n`);
  const run = spawnSync(jarTool, ['cfm', launcher, manifest], { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) return { problem: `Could not build the launcher for ${jar}: ${run.stderr || run.error?.message}` };
  return { path: launcher };
}

function firestoreEmulator(java, sdkRoot) {
  const cached = cachedDownload('cloud-firestore-emulator');
  if (cached) return { source: `firebase-tools' own download (${cached})`, env: {} };
  const jar = sdkRoot && path.join(sdkRoot, 'platform', 'cloud-firestore-emulator', 'cloud-firestore-emulator.jar');
  if (jar && existsSync(jar)) {
    const launcher = launcherJar(java, jar, FIRESTORE_MAIN_CLASS);
    if (launcher.problem) return launcher;
    return { source: `the Google Cloud CLI component (${jar})`, env: { FIRESTORE_EMULATOR_BINARY_PATH: launcher.path } };
  }
  return null;
}

function pubsubEmulator(sdkRoot) {
  const cached = cachedDownload('pubsub-emulator');
  if (cached) return { source: `firebase-tools' own download (${cached})`, env: {} };
  const script = sdkRoot && path.join(sdkRoot, 'platform', 'pubsub-emulator', 'bin', 'cloud-pubsub-emulator');
  if (script && existsSync(script)) return { source: `the Google Cloud CLI component (${script})`, env: { PUBSUB_EMULATOR_BINARY_PATH: script } };
  return null;
}

/** Asks firebase-tools to download an emulator into its cache (fails fast without network). */
function download(name) {
  const cli = path.join(ROOT, 'node_modules', 'firebase-tools', 'lib', 'bin', 'firebase.js');
  const run = spawnSync(process.execPath, [cli, `setup:emulators:${name}`], { encoding: 'utf8', timeout: 120_000, cwd: ROOT, env: { ...process.env, METADATA_SERVER_DETECTION: 'none' } });
  return run.status === 0;
}

/**
 * What the official emulators need, found on this machine: `{ java, firestore, pubsub, env }` with
 * `env` the variables for the firebase-tools process (Java first on PATH, jar overrides), or
 * `{ problem }` saying what to install. Pub/Sub and the Storage rules runtime are optional: null
 * when missing.
 */
export function findEmulatorPrerequisites(env = process.env) {
  const java = findJava(env);
  if (!java) return { problem: `No Java ${MIN_JAVA}+ runtime was found (looked at JAVA_HOME, java on PATH and ${JVM_FOLDERS.join(', ')}). ${INSTALL_JAVA}` };
  const sdkRoot = cloudSdkRoot(env);
  let firestore = firestoreEmulator(java, sdkRoot);
  if (!firestore && download('firestore')) firestore = firestoreEmulator(java, sdkRoot);
  if (!firestore) return { problem: `No Cloud Firestore emulator was found, and firebase-tools could not download its own. ${INSTALL_FIRESTORE}` };
  if (firestore.problem) return firestore;
  const pubsub = pubsubEmulator(sdkRoot);
  // The Storage emulator evaluates rules only with this runtime, which only firebase-tools downloads
  // (an attempt that fails within two seconds where there is no network).
  const storageRules = cachedDownload('cloud-storage-rules-runtime') ?? (download('storage') ? cachedDownload('cloud-storage-rules-runtime') : null);
  return {
    java,
    firestore,
    pubsub,
    storageRules,
    env: {
      JAVA_HOME: java.home,
      PATH: `${path.join(java.home, 'bin')}${path.delimiter}${env.PATH ?? ''}`,
      ...firestore.env,
      ...pubsub?.env,
    },
  };
}
