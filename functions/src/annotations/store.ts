import type { DocumentReference, DocumentSnapshot, Firestore, Query, Transaction } from 'firebase-admin/firestore';
import { unprocessable } from '../http/errors.js';
import { ANNOTATIONS } from '../lib/collections.js';
import { deleteAs } from '../lib/deletions.js';
import { runTransaction } from '../lib/transaction.js';
import { MediaStore } from '../media/store.js';
import { ProjectStore } from '../projects/store.js';
import { TaskStore } from '../tasks/store.js';
import type { AnnotationStatus, AnnotationType } from './schemas.js';
import { hasCode } from '../lib/firestore-errors.js';
import { DocumentStore } from '../lib/document-store.js';

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
export class AnnotationStore extends DocumentStore {
  private readonly mediaStore: MediaStore;

  constructor(db: Firestore) {
    super(db, ANNOTATIONS);
    this.mediaStore = new MediaStore(db);
  }

  mediaRef(id: string): DocumentReference {
    return this.mediaStore.ref(id);
  }

  async media(id: string): Promise<DocumentSnapshot | null> {
    return this.mediaStore.get(id);
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

  /**
   * Reads the media, its project and its linked task (media null when it is gone), outside any
   * transaction on purpose: every annotation change writes the media's counters, and two
   * transactions that both read-lock a document and then write it each wait for the other's lock
   * until the database aborts one. The counters only move by increments, which need no read.
   */
  async reviewContext(mediaId: string): Promise<ReviewContext | null> {
    const media = await this.media(mediaId);
    if (!media) return null;
    const taskId = media.get('linked_task_id') as unknown;
    const projectId = String(media.get('project_id'));
    const refs = [new ProjectStore(this.db).ref(projectId)];
    if (typeof taskId === 'string' && taskId !== '') refs.push(new TaskStore(this.db).ref(projectId, taskId));
    const [project, task] = await this.db.getAll(...refs);
    return { media, project: project!, task: task?.exists ? task : null };
  }

  /**
   * A thread's replies that are not archived yet, for a transaction that has already read the
   * thread's first annotation: every change to the set of replies also writes that annotation
   * (its reply_count), so the transaction's lock on it holds the set still until it commits, and a
   * plain query reads it exactly. A query through the transaction would lock more than the thread:
   * on the emulator, every write to the collection waits for it.
   */
  async liveReplies(rootId: string): Promise<DocumentSnapshot[]> {
    const snap = await this.db.collection(ANNOTATIONS).where('parent_id', '==', rootId).where('status', 'in', ['active', 'resolved']).get();
    return snap.docs;
  }

  private onMedia(mediaId: string): Query {
    return this.db.collection(ANNOTATIONS).where('media_id', '==', mediaId);
  }

  /** How many annotations on the media someone other than `uid` made. */
  async countByOthers(mediaId: string, uid: string): Promise<number> {
    const [all, own] = await Promise.all([this.onMedia(mediaId).count().get(), this.onMedia(mediaId).where('author', '==', uid).count().get()]);
    return all.data().count - own.data().count;
  }

  /**
   * Deletes the annotations on the media (when the media goes), a page per batch, each recorded as
   * deleted by `actor`. With `onlyBy`, stops before a page holding an annotation someone else made
   * (one added since the caller checked) and returns false.
   */
  async deleteOnMedia(mediaId: string, actor: string, now: Date, onlyBy?: string): Promise<boolean> {
    for (;;) {
      const page = await this.onMedia(mediaId).limit(200).get();
      if (page.empty) return true;
      if (onlyBy && page.docs.some((d) => d.get('author') !== onlyBy)) return false;
      const batch = this.db.batch();
      for (const doc of page.docs) deleteAs(batch, doc.ref, actor, now);
      await batch.commit();
    }
  }

  /**
   * Runs `fn` in a transaction that changes annotations of media `mediaId` and its counters. The
   * counters' update requires the media to exist, so a media deleted meanwhile fails it whole.
   */
  async transaction<T>(mediaId: string, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    try {
      return await runTransaction(this.db, `Media ${mediaId}`, fn);
    } catch (err) {
      if (hasCode(err, 'NOT_FOUND')) throw mediaGone(mediaId);
      throw err;
    }
  }
}

export const mediaGone = (mediaId: string) => unprocessable(`Media ${mediaId} no longer exists; its annotations are read-only`);
