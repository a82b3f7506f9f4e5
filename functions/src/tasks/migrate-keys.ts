// The one-off migration to per-project task ids (docs/task-ids.md), run by
// functions/tools/migrate-task-keys.mjs: legacy `tasks/{task_id}` documents move to
// `tasks/{project_id}~{task_id}` (with their derived query and dependency fields written, which
// documents from before those fields lack), and legacy media files `media/{task_id}/...` (and their
// thumbnails) to `media/{project_id}/{task_id}/...`. A media record's id follows from its key, so a
// moved record gets the new key's id and its annotations follow it. Idempotent: what is already in
// the new layout is left alone, and a run cut short resumes where it stopped.
import type { Bucket } from '../config/deps.js';
import type { DocumentData, DocumentSnapshot, Firestore } from 'firebase-admin/firestore';
import { FieldPath } from 'firebase-admin/firestore';
import { API_PREFIX } from '../lib/api-prefix.js';
import { ANNOTATIONS, MEDIA } from '../lib/collections.js';
import { MEDIA_PREFIX, THUMBNAILS_PREFIX, allThumbnailKeys, mediaIdFor } from '../media/files.js';
import { ProjectStore } from '../projects/store.js';
import { newTaskDependencyFields } from './dependencies.js';
import { indexFieldsOf } from './indexing.js';
import { KEY_MIGRATION, taskKey } from './keys.js';
import { taskConfigOf, type ProjectTaskConfig } from './project-config.js';
import type { TaskRecord } from './record.js';
import { taskRef, tasksCollection } from './store.js';

/** Documents read per page. */
const PAGE = 300;

export interface MigrationSummary {
  tasks: number;
  media: number;
  files: number;
  annotations: number;
}

/** Each document of a collection, a page at a time (in id order, so moved documents are not met twice). */
async function* everyDocument(db: Firestore, collection: string): AsyncGenerator<DocumentSnapshot> {
  let last: DocumentSnapshot | undefined;
  for (;;) {
    let q = db.collection(collection).orderBy(FieldPath.documentId()).limit(PAGE);
    if (last) q = q.startAfter(last);
    const page = await q.get();
    yield* page.docs;
    if (page.size < PAGE) return;
    last = page.docs[page.size - 1];
  }
}

/** A task document still under its bare id: no project in its key. */
const legacyTask = (snap: DocumentSnapshot) => snap.id !== taskKey(String(snap.get('project_id')), String(snap.get('id') ?? snap.id));

/** Has every derived dependency field (documents older than task dependencies have none). */
const hasDependencyFields = (data: DocumentData) => Array.isArray(data.depends_on) && Array.isArray(data.blocked_by) && typeof data.blocked === 'boolean' && typeof data.ready === 'boolean';

async function moveTasks(db: Firestore): Promise<number> {
  const projects = new ProjectStore(db);
  const configs = new Map<string, Promise<ProjectTaskConfig>>();
  const configOf = (projectId: string) => {
    if (!configs.has(projectId)) configs.set(projectId, projects.get(projectId).then((project) => taskConfigOf(project?.data())));
    return configs.get(projectId)!;
  };
  let moved = 0;
  for await (const snap of everyDocument(db, tasksCollection(db).id)) {
    const projectId = snap.get('project_id');
    if (typeof projectId !== 'string' || !legacyTask(snap)) continue;
    // Documents keep their bare id in `id` (what the API shows and resolves by).
    const data = { ...snap.data(), id: snap.id };
    // The derived query fields are written afresh (a document from before them would be in no list,
    // filter or search); dependency fields where there are none yet (no dependencies, then).
    const derived = { ...indexFieldsOf(data as unknown as TaskRecord, await configOf(projectId)), ...(hasDependencyFields(data) ? {} : newTaskDependencyFields(data)) };
    const batch = db.batch();
    // The bulk id tells the feed that this create and this delete are one move, not a new task and a deleted one.
    batch.set(taskRef(db, projectId, snap.id), { ...data, ...derived, bulk_id: KEY_MIGRATION });
    batch.delete(snap.ref);
    await batch.commit();
    moved++;
  }
  return moved;
}

/** `media/{rest}` or `thumbnails/{rest}` under the project: `media/{project_id}/{rest}`. */
const underProject = (key: string, projectId: string) => {
  const prefix = key.startsWith(THUMBNAILS_PREFIX) ? THUMBNAILS_PREFIX : MEDIA_PREFIX;
  return `${prefix}${projectId}/${key.slice(prefix.length)}`;
};

/** Copies the files of a legacy key that exist to the project's layout; the new main file's generation, or null. */
async function copyFiles(bucket: Bucket, key: string, projectId: string, mediaId: string): Promise<{ generation: string | null; copied: number }> {
  let generation: string | null = null;
  let copied = 0;
  for (const from of [key, ...allThumbnailKeys(key)]) {
    const file = bucket.file(from);
    const [exists] = await file.exists();
    if (!exists) continue;
    const [copy] = await file.copy(underProject(from, projectId), { metadata: { media_id: mediaId } });
    if (from === key) generation = String((await copy.getMetadata())[0].generation);
    copied++;
  }
  return { generation, copied };
}

async function moveMedia(db: Firestore, bucket: Bucket, summary: MigrationSummary): Promise<void> {
  for await (const snap of everyDocument(db, MEDIA)) {
    const record = snap.data() as DocumentData;
    const key = record.storage_key;
    const projectId = record.project_id;
    if (typeof key !== 'string' || typeof projectId !== 'string' || key.startsWith(`${MEDIA_PREFIX}${projectId}/`)) continue;
    const newKey = underProject(key, projectId);
    const newId = mediaIdFor(newKey);
    // Files first: the record at the new id then names files that exist (the Storage trigger leaves a file without its record alone).
    const files = await copyFiles(bucket, key, projectId, newId);
    const thumbnail = (k: unknown) => (typeof k === 'string' ? underProject(k, projectId) : k);
    await db
      .collection(MEDIA)
      .doc(newId)
      .set({
        ...record,
        storage_key: newKey,
        storage_url: `${API_PREFIX}/media/${newId}/download`,
        thumbnail_key: thumbnail(record.thumbnail_key),
        thumbnail_small_key: thumbnail(record.thumbnail_small_key),
        file_generation: files.generation ?? record.file_generation ?? null,
      });
    const notes = await db.collection(ANNOTATIONS).where('media_id', '==', snap.id).get();
    for (let i = 0; i < notes.size; i += PAGE) {
      const batch = db.batch();
      for (const note of notes.docs.slice(i, i + PAGE)) batch.update(note.ref, { media_id: newId });
      await batch.commit();
    }
    await snap.ref.delete();
    await Promise.all([key, ...allThumbnailKeys(key)].map((k) => bucket.file(k).delete({ ignoreNotFound: true })));
    summary.media++;
    summary.files += files.copied;
    summary.annotations += notes.size;
  }
}

/** Runs the migration; what it moved (all zero when there was nothing left to move). */
export async function migrateTaskKeys(db: Firestore, bucket: Bucket): Promise<MigrationSummary> {
  const summary: MigrationSummary = { tasks: 0, media: 0, files: 0, annotations: 0 };
  summary.tasks = await moveTasks(db);
  await moveMedia(db, bucket, summary);
  return summary;
}
