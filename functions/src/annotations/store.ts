import type { DocumentReference, DocumentSnapshot, Firestore, Query, Transaction } from 'firebase-admin/firestore';
import { ApiError } from '../http/errors.js';
import { MEDIA } from '../media/store.js';
import { PROJECTS } from '../projects/store.js';
import { TASKS } from '../tasks/store.js';
import type { AnnotationStatus, AnnotationType } from './schemas.js';

export const ANNOTATIONS = 'annotations';

export interface AnnotationFilters {
  media_id?: string | undefined;
  project_id?: string | undefined;
  author?: string | undefined;
  annotation_type?: AnnotationType | undefined;
  status?: AnnotationStatus | AnnotationStatus[] | undefined;
  frame_number?: number | undefined;
  parent_id?: string | undefined;
}

/** The documents an annotation change is checked against, read inside its transaction. */
export interface ReviewContext {
  media: DocumentSnapshot;
  project: DocumentSnapshot;
  task: DocumentSnapshot | null;
}

/** Firestore access for annotations, and the media, project and task documents they depend on. */
export class AnnotationStore {
  constructor(private readonly db: Firestore) {}

  ref(id: string): DocumentReference {
    return this.db.collection(ANNOTATIONS).doc(id);
  }

  newRef(): DocumentReference {
    return this.db.collection(ANNOTATIONS).doc();
  }

  mediaRef(id: string): DocumentReference {
    return this.db.collection(MEDIA).doc(id);
  }

  async get(id: string): Promise<DocumentSnapshot | null> {
    const snap = await this.ref(id).get();
    return snap.exists ? snap : null;
  }

  async media(id: string): Promise<DocumentSnapshot | null> {
    const snap = await this.mediaRef(id).get();
    return snap.exists ? snap : null;
  }

  /** Equality filters only; the list's order (frame, then creation) is applied by the pager. */
  query(filters: AnnotationFilters): Query {
    let q: Query = this.db.collection(ANNOTATIONS);
    for (const field of ['media_id', 'project_id', 'author', 'annotation_type', 'frame_number', 'parent_id'] as const) {
      if (filters[field] !== undefined) q = q.where(field, '==', filters[field]);
    }
    if (Array.isArray(filters.status)) q = q.where('status', 'in', filters.status);
    else if (filters.status !== undefined) q = q.where('status', '==', filters.status);
    return q;
  }

  /** Reads the media, its project and its linked task in `tx` (media null when it is gone). */
  async reviewContext(tx: Transaction, mediaId: string): Promise<ReviewContext | null> {
    const media = await tx.get(this.mediaRef(mediaId));
    if (!media.exists) return null;
    const taskId = media.get('linked_task_id') as unknown;
    const refs = [this.db.collection(PROJECTS).doc(String(media.get('project_id')))];
    if (typeof taskId === 'string' && taskId !== '') refs.push(this.db.collection(TASKS).doc(taskId));
    const [project, task] = await tx.getAll(...refs);
    return { media, project: project!, task: task?.exists ? task : null };
  }

  /** A thread's replies that are not archived yet, read in `tx`. */
  async liveReplies(tx: Transaction, rootId: string): Promise<DocumentSnapshot[]> {
    const snap = await tx.get(this.db.collection(ANNOTATIONS).where('parent_id', '==', rootId).where('status', 'in', ['active', 'resolved']));
    return snap.docs;
  }

  /**
   * Runs `fn` in a transaction. Many reviewers annotating one media contend on its counters; the
   * SDK retries conflicts, and when they outlast its attempts the caller hears 503, not 500.
   */
  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    try {
      return await this.db.runTransaction(fn);
    } catch (err) {
      if ((err as { code?: unknown }).code === 10) throw new ApiError('UNAVAILABLE', 'Too many simultaneous changes to this media; retry in a moment');
      throw err;
    }
  }
}
