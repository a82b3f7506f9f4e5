// Seeds the demo dataset (emulator-data/dataset.json): the spec's Quick Start data and the demo
// users. Everything is written through the domains' own code in functions/lib (services with the
// demo users as callers, the task and project store helpers, the media trigger's handler), so
// seeded documents carry the same derived fields, counters and feed/audit attribution as ones the
// API writes. Re-running it changes no counts.
//
//   npm run seed                    against the running emulators (npm run serve seeds by itself)
//   npm run seed -- --if-empty      only when there are no projects yet (what npm run serve runs)
//   npm run seed -- --force --project <id> [--bucket <name>]
//                                   a real project, with Application Default Credentials; the
//                                   demo users then get random passwords, printed once
//
// Emulators are found from FIRESTORE_EMULATOR_HOST, FIREBASE_AUTH_EMULATOR_HOST and
// FIREBASE_STORAGE_EMULATOR_HOST, or else on firebase.json's ports (MONTU_<SERVICE>_PORT moves
// one, as for npm run serve). Without all three, the seed refuses to run unless --force is given.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(new URL('../functions/package.json', import.meta.url));
const { FieldValue, Timestamp } = require('firebase-admin/firestore');

export const DATASET = JSON.parse(readFileSync(new URL('../emulator-data/dataset.json', import.meta.url), 'utf8'));

const LIB = new URL('../functions/lib/', import.meta.url);
const FIRESTORE_ALREADY_EXISTS = 6;
/** The collection of published file versions; no API domain writes it (the spec lists only its count). */
const VERSIONS = 'versions';

/** A compiled module of the functions package. */
async function lib(path) {
  const url = new URL(path, LIB);
  if (!existsSync(url)) throw new Error(`functions/lib/${path} is missing: build the functions first (npm run build; npm run serve and npm test do it)`);
  return import(url.href);
}

async function domains() {
  const [collections, projectService, projectSchemas, projectStore, pathChecks, paths, access, admins, membersService, membersStore, taskConfig, taskInput, taskStore, files, mediaService, mediaUploads, mediaAccess, mediaSchemas, mediaStore, storageEvents, annotationService, annotationSchemas] =
    await Promise.all(
      [
        'lib/collections.js',
        'projects/service.js',
        'projects/schemas.js',
        'projects/store.js',
        'paths/config-checks.js',
        'paths/service.js',
        'auth/access.js',
        'auth/admins.js',
        'members/service.js',
        'members/store.js',
        'tasks/project-config.js',
        'tasks/validation.js',
        'tasks/store.js',
        'media/files.js',
        'media/service.js',
        'media/uploads.js',
        'media/access.js',
        'media/schemas.js',
        'media/store.js',
        'media/storage-events.js',
        'annotations/service.js',
        'annotations/schemas.js',
      ].map(lib),
    );
  return { collections, projectService, projectSchemas, projectStore, pathChecks, paths, access, admins, membersService, membersStore, taskConfig, taskInput, taskStore, files, mediaService, mediaUploads, mediaAccess, mediaSchemas, mediaStore, storageEvents, annotationService, annotationSchemas };
}

/** What the services see of a demo user: the verified caller a request would carry. */
function callerOf(user) {
  return { uid: user.uid, email: user.email, displayName: user.display_name, admin: user.admin === true, token: { uid: user.uid }, permissionsByProject: new Map() };
}

/** The media id and storage key the API gives a dataset media entry of a task of `projectId`. */
async function mediaKeyOf(entry, projectId) {
  const { mediaStorageKey, mediaIdFor } = await lib('media/files.js');
  const key = mediaStorageKey(projectId, entry.task_id, entry.version, entry.file_name);
  return { key, id: mediaIdFor(key) };
}

// ---------------------------------------------------------------------------------------------
// Pictures: a small sky-and-ships frame per media entry, drawn with sharp from its `scene`.

function rng(seedText) {
  let state = [...seedText].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 2166136261);
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const WIDTH = 960;
const HEIGHT = 540;

function sceneSvg(entry) {
  const { sky, sun, ships, alpha } = entry.scene;
  const random = rng(entry.key);
  const parts = [];
  if (!alpha) {
    parts.push(`<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${sky[0]}"/><stop offset="1" stop-color="${sky[1]}"/></linearGradient></defs>`);
    parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="url(#sky)"/>`);
    for (let i = 0; i < 60; i++) parts.push(`<circle cx="${(random() * WIDTH).toFixed(1)}" cy="${(random() * HEIGHT * 0.6).toFixed(1)}" r="${(random() * 1.6 + 0.4).toFixed(1)}" fill="#ffffff" opacity="${(random() * 0.6 + 0.3).toFixed(2)}"/>`);
    parts.push(`<circle cx="${650 + random() * 150}" cy="${110 + random() * 80}" r="${60 + random() * 40}" fill="${sun}"/>`);
  } else {
    parts.push(`<defs><radialGradient id="plume"><stop offset="0" stop-color="${sun}" stop-opacity="1"/><stop offset="1" stop-color="${sun}" stop-opacity="0"/></radialGradient></defs>`);
    parts.push(`<ellipse cx="${WIDTH / 2}" cy="${HEIGHT / 2}" rx="380" ry="120" fill="url(#plume)"/>`);
  }
  for (let i = 0; i < ships; i++) {
    const x = 120 + random() * 600;
    const y = 220 + random() * 220;
    const s = 0.6 + random() * 0.8;
    parts.push(`<polygon points="${[
      [x, y],
      [x + 120 * s, y - 20 * s],
      [x, y - 40 * s],
      [x + 30 * s, y - 20 * s],
    ]
      .map((p) => p.map((v) => v.toFixed(1)).join(','))
      .join(' ')}" fill="#1c1c24"/>`);
  }
  parts.push(`<text x="20" y="${HEIGHT - 20}" font-family="sans-serif" font-size="22" fill="#ffffff" opacity="0.85">${entry.task_id} ${entry.version}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">${parts.join('')}</svg>`;
}

/** The entry's picture, encoded as its file name's extension says. */
async function drawPicture(entry) {
  const { default: sharp } = await import(pathToFileURL(require.resolve('sharp')).href);
  // SVG renders with an alpha channel; only elements (scene.alpha) keep it.
  const image = entry.scene.alpha ? sharp(Buffer.from(sceneSvg(entry))) : sharp(Buffer.from(sceneSvg(entry))).flatten();
  const extension = entry.file_name.slice(entry.file_name.lastIndexOf('.')).toLowerCase();
  if (extension === '.png') return image.png().toBuffer();
  if (extension === '.jpg' || extension === '.jpeg') return image.jpeg({ quality: 85 }).toBuffer();
  if (extension === '.tif' || extension === '.tiff') return image.tiff({ compression: 'lzw' }).toBuffer();
  throw new Error(`No picture encoder for ${entry.file_name}`);
}

// ---------------------------------------------------------------------------------------------
// The seed

/**
 * Writes the dataset through `deps` (the API's dependencies: db, auth, bucket, clock, config).
 * `passwords` maps a demo uid to the password to set (default: the documented one).
 * Returns what was created and what was already there.
 */
export async function seedDemoData(deps, { passwords = {}, log = () => {} } = {}) {
  const d = await domains();
  const { db } = deps;
  const access = new d.access.AccessControl(db);
  const users = new Map(DATASET.users.map((u) => [u.uid, u]));
  const callers = new Map();
  const caller = (uid) => {
    if (!users.has(uid)) throw new Error(`Dataset names an unknown user ${uid}`);
    if (!callers.has(uid)) callers.set(uid, callerOf(users.get(uid)));
    return callers.get(uid);
  };
  const admin = DATASET.users.find((u) => u.admin);
  const summary = {};
  const count = (what, created) => {
    summary[what] ??= { created: 0, existing: 0 };
    summary[what][created ? 'created' : 'existing']++;
  };

  // Users: created or reset to the dataset's name, password and admin claim.
  for (const u of DATASET.users) {
    const profile = { email: u.email, password: passwords[u.uid] ?? u.password, displayName: u.display_name };
    let created = false;
    try {
      await deps.auth.getUser(u.uid);
      await deps.auth.updateUser(u.uid, profile);
    } catch (err) {
      if (err?.code !== 'auth/user-not-found') throw err;
      await deps.auth.createUser({ uid: u.uid, ...profile });
      created = true;
    }
    await d.admins.setGlobalAdmin(deps, u.uid, u.admin === true, 'seed');
    count('users', created);
  }

  // Projects: validated like POST /projects, stored with their query-only fields and the spec's times.
  const projects = new d.projectStore.ProjectStore(db);
  for (const entry of DATASET.projects) {
    const { id, created_at, created_by, ...fields } = entry;
    const { id: _id, ...config } = d.projectSchemas.projectCreateBody.parse({ id, ...fields });
    const issues = d.pathChecks.configIssues({ id, ...config });
    if (issues.length) throw new Error(`Project ${id}: ${issues.map((i) => `${i.field}: ${i.issue}`).join('; ')}`);
    const time = Timestamp.fromDate(new Date(created_at));
    try {
      await projects.ref(id).create({ ...config, ...d.projectService.projectIndexFields(id, config.name, config.description), created_by, updated_by: created_by, created_at: time, updated_at: time });
      count('projects', true);
    } catch (err) {
      if (err?.code !== FIRESTORE_ALREADY_EXISTS) throw err;
      count('projects', false);
    }
  }

  // Memberships, added by the global admin through the membership service.
  const memberStore = new d.membersStore.MemberStore(db);
  const members = new d.membersService.MembersService(deps, access);
  for (const u of DATASET.users) {
    for (const [projectId, permissions] of Object.entries(u.projects)) {
      if (await memberStore.get(projectId, u.uid)) {
        count('memberships', false);
        continue;
      }
      const { errors } = await members.add(caller(admin.uid), projectId, [{ user_id: u.uid, permissions: d.access.normalizePermissions(permissions) }]);
      if (errors.length) throw new Error(`Membership of ${u.uid} in ${projectId}: ${errors[0].error}`);
      count('memberships', true);
    }
  }

  // Tasks, checked against their project's configuration and written with the CSV importer's helper.
  const configs = new Map();
  for (const { id } of DATASET.projects) configs.set(id, d.taskConfig.taskConfigOf((await projects.get(id)).data()));
  const writes = [];
  for (const shot of DATASET.shots) {
    const { tasks, ...where } = shot;
    const config = configs.get(shot.project_id);
    for (const [task, row] of Object.entries(tasks)) {
      // Fields of the old system (`_created_at`) pass through as the migration kept them.
      const legacy = Object.fromEntries(Object.entries(row).filter(([k]) => k.startsWith('_')));
      const given = Object.fromEntries(Object.entries(row).filter(([k]) => !k.startsWith('_')));
      const checked = d.taskInput.checkNewTaskInput({ ...where, task, milestone_note: DATASET.task_defaults.milestone_note, ...DATASET.task_defaults.by_task_type[task], ...given }, config);
      if (!checked.ok) throw new Error(`Task ${shot.episode}/${shot.sequence}/${shot.shot}/${task}: ${d.taskInput.taskProblems(checked.issues).map((p) => `${p.field}: ${p.issue}`).join('; ')}`);
      writes.push({ kind: 'create', task: { ...checked.value, ...legacy, ...DATASET.migration }, config });
    }
  }
  // Task ids are per project; the dataset's versions and media name a task by id, unique across its projects.
  const projectOf = new Map(writes.map((w) => [w.task.id, w.task.project_id]));
  const tasks = new d.taskStore.TaskStore(db);
  const actor = DATASET.projects[0].created_by;
  for (const result of await d.taskStore.writeTasks(db, writes, { actor })) {
    if (!result.ok && result.reason !== 'already_exists') throw new Error(result.error);
    count('tasks', result.ok);
  }

  // Versions: file paths from the project's Path Builder.
  for (const v of DATASET.versions) {
    const task = await tasks.get(projectOf.get(v.task_id), v.task_id);
    const project = await projects.get(task.get('project_id'));
    const { episode, sequence, shot, task: taskType } = task.data();
    const generated = d.paths.builderFor(project).generate({ template: 'working_file', pattern: v.pattern, values: { episode, sequence, shot, task: taskType, version: v.version } });
    if (!generated.ok) throw new Error(`Version ${v.task_id} ${v.version}: ${generated.message}`);
    const now = FieldValue.serverTimestamp();
    try {
      await db
        .collection(VERSIONS)
        .doc(`${task.id}_${v.version}`)
        .create({
          task_id: v.task_id,
          project_id: project.id,
          version: v.version,
          file_name: generated.path.slice(generated.path.lastIndexOf('/') + 1),
          file_path: generated.path,
          author: v.author,
          status: v.status,
          notes: v.notes,
          created_by: actor,
          updated_by: actor,
          created_at: now,
          updated_at: now,
        });
      count('versions', true);
    } catch (err) {
      if (err?.code !== FIRESTORE_ALREADY_EXISTS) throw err;
      count('versions', false);
    }
  }

  // Media: the signed-upload flow (a pending record, the file PUT to its upload session), then the
  // Storage trigger's handler, which the seed runs itself so thumbnails exist whether or not the
  // Functions emulator is listening (a redelivered event is recognised and changes nothing).
  const media = new d.mediaService.MediaService(deps, access);
  const uploads = new d.mediaUploads.MediaUploads(deps, new d.mediaAccess.MediaAccess(db, access));
  const mediaStore = new d.mediaStore.MediaStore(db);
  const objects = new d.mediaStore.MediaObjects(deps);
  const mediaIds = new Map();
  for (const entry of DATASET.media) {
    const { key, id } = await mediaKeyOf(entry, projectOf.get(entry.task_id));
    mediaIds.set(entry.key, id);
    let record = await mediaStore.get(id);
    count('media', !record);
    if (!record) {
      const picture = await drawPicture(entry);
      const body = d.mediaSchemas.uploadUrlBody.parse({ task_id: entry.task_id, project_id: projectOf.get(entry.task_id), file_name: entry.file_name, file_size: picture.length, version: entry.version, description: entry.description, tags: entry.tags });
      const session = await uploads.uploadUrl(caller(entry.uploaded_by), body, undefined);
      const put = await fetch(session.upload_url, { method: 'PUT', headers: session.upload_headers, body: picture });
      if (!put.ok) throw new Error(`Upload of ${key} failed: ${put.status} ${await put.text()}`);
    } else if (record.get('status') === 'pending_upload' && !(await objects.exists(key))) {
      // An earlier run stopped between the record and its file.
      await objects.save(key, await drawPicture(entry), record.get('content_type'), { media_id: id, uploaded_by: entry.uploaded_by });
    }
    record = await mediaStore.get(id);
    if (record.get('status') !== 'active' || record.get('thumbnail_status') === 'pending') {
      const stored = await objects.stat(key);
      const outcome = await d.storageEvents.handleObjectFinalized(deps, { bucket: deps.bucket.name, name: key, generation: stored.generation });
      if (outcome !== 'ready' && outcome !== 'duplicate') throw new Error(`Thumbnails of ${key}: ${outcome}`);
      record = await mediaStore.get(id);
    }
    if (entry.review && record.get('approval_status') === 'pending') {
      const { by, ...review } = entry.review;
      await media.review(caller(by), id, d.mediaSchemas.approveBody.parse(review), undefined);
    }
  }

  // Annotations, through the review service (counters on the media included).
  const annotations = new d.annotationService.AnnotationService(deps, access);
  for (const a of DATASET.annotations) {
    const { media: mediaKey, author, ...body } = a;
    const mediaId = mediaIds.get(mediaKey);
    const existing = await db.collection(d.collections.ANNOTATIONS).where('media_id', '==', mediaId).limit(1).get();
    count('annotations', existing.empty);
    if (existing.empty) await annotations.create(caller(author), d.annotationSchemas.createAnnotationBody.parse({ media_id: mediaId, ...body }));
  }

  // Directory operations: each project's plans in dataset order; the ones already recorded are skipped.
  const projectService = new d.projectService.ProjectService(deps, access);
  for (const { id } of DATASET.projects) {
    const plans = DATASET.directory_operations.filter((o) => o.project_id === id);
    const recorded = (await db.collection(d.collections.DIRECTORY_OPERATIONS).where('project_id', '==', id).count().get()).data().count;
    for (const [i, { project_id, by, ...request }] of plans.entries()) {
      count('directory_operations', i >= recorded);
      if (i >= recorded) await projectService.planDirectoryStructure(caller(by), project_id, d.projectSchemas.directoryStructureBody.parse(request));
    }
  }

  log(`[seed] ${Object.entries(summary).map(([what, n]) => `${what}: ${n.created} created, ${n.existing} already there`).join('; ')}`);
  return summary;
}

// ---------------------------------------------------------------------------------------------
// Command line

const SEED_ATTEMPTS = 3;

const EMULATORS = [
  { service: 'firestore', env: 'FIRESTORE_EMULATOR_HOST' },
  { service: 'auth', env: 'FIREBASE_AUTH_EMULATOR_HOST' },
  { service: 'storage', env: 'FIREBASE_STORAGE_EMULATOR_HOST' },
];

function listening(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** Fills emulator hosts the environment lacks from firebase.json's ports, where something listens; returns the services still without one. */
async function findEmulators() {
  const config = JSON.parse(readFileSync(new URL('../firebase.json', import.meta.url), 'utf8'));
  const missing = [];
  for (const { service, env } of EMULATORS) {
    if (process.env[env]) continue;
    const port = Number(process.env[`MONTU_${service.toUpperCase()}_PORT`] || config.emulators[service].port);
    if (await listening('127.0.0.1', port)) process.env[env] = `127.0.0.1:${port}`;
    else missing.push(env);
  }
  if (process.env.FIREBASE_STORAGE_EMULATOR_HOST) process.env.STORAGE_EMULATOR_HOST ??= `http://${process.env.FIREBASE_STORAGE_EMULATOR_HOST}`;
  return missing;
}

async function main() {
  const { values } = parseArgs({ options: { force: { type: 'boolean' }, 'if-empty': { type: 'boolean' }, project: { type: 'string' }, bucket: { type: 'string' } } });
  const missing = await findEmulators();
  if (missing.length && !values.force) {
    console.error(
      `[seed] no emulator for ${missing.join(', ')}: refusing to seed what could be a real project.\n` +
        '       Start the emulators with npm run serve (it seeds by itself), or pass --force --project <id> to seed a real project.',
    );
    return 2;
  }
  const projectId = values.project ?? process.env.GCLOUD_PROJECT ?? 'demo-montu';
  // On emulators, no Google credentials are looked for (a metadata-server probe only costs time).
  if (!missing.length) process.env.METADATA_SERVER_DETECTION ??= 'none';
  const { initializeApp } = require('firebase-admin/app');
  const { getAuth } = require('firebase-admin/auth');
  const { getFirestore } = require('firebase-admin/firestore');
  const { getStorage } = require('firebase-admin/storage');
  const { defaultConfig } = await lib('config/app-config.js');
  const app = initializeApp({ projectId, storageBucket: values.bucket ?? `${projectId}.appspot.com` });
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  const deps = { db, auth: getAuth(app), bucket: getStorage(app).bucket(), clock: () => new Date(), config: defaultConfig({ projectId }) };

  if (values['if-empty'] && !(await db.collection('projects').limit(1).get()).empty) {
    console.log('[seed] data already present; not seeding');
    return 0;
  }
  // Documented passwords are for the emulators only.
  const passwords = missing.length ? Object.fromEntries(DATASET.users.map((u) => [u.uid, randomBytes(12).toString('base64url')])) : {};
  console.log(`[seed] seeding ${missing.length ? `project ${projectId} (forced; ${missing.join(', ')} not emulated)` : `the emulators (project ${projectId}, Firestore ${process.env.FIRESTORE_EMULATOR_HOST})`}`);
  // Seeding is idempotent, so a run cut short by a busy emulator (a dropped connection) resumes.
  for (let attempt = 1; ; attempt++) {
    try {
      await seedDemoData(deps, { passwords, log: console.log });
      break;
    } catch (err) {
      if (attempt === SEED_ATTEMPTS) throw err;
      console.log(`[seed] attempt ${attempt} failed (${err?.message ?? err}); resuming`);
      await new Promise((resolve) => setTimeout(resolve, 2000 * attempt));
    }
  }
  console.log(`[seed] demo users: ${DATASET.users.map((u) => `${u.email} / ${passwords[u.uid] ?? u.password}`).join(', ')}`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // firebase-admin keeps connections open; the exit code is the answer.
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`[seed] failed: ${err?.stack ?? err}`);
      process.exit(1);
    },
  );
}
