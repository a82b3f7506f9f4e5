// Real-time for front ends: the spec's WebSocket channels as Firestore listeners (firebase v12
// modular web SDK; the app brings `firebase` and signs in with Firebase Auth, so firestore.rules
// apply). Every query here is one the security rules allow a project member: each is constrained to
// one project, which is what the rules check.
//
//   /ws/tasks/{project_id}       tasks where project_id == P, and the project's feed (task and import messages)
//   /ws/media/{project_id}       media where project_id == P, and media_* messages
//   /ws/annotations/{media_id}   annotations where project_id == P and media_id == M, and annotation_* messages of M
import {
  collection,
  doc,
  getDoc,
  getDocs,
  limit,
  onSnapshot,
  orderBy,
  query,
  startAfter,
  where,
  type DocumentData,
  type DocumentSnapshot,
  type Firestore,
  type Query,
  type QueryConstraint,
  type Unsubscribe,
} from 'firebase/firestore';
import type { FeedMessage, JsonRecord } from './messages.js';

export type * from './messages.js';

export type ChannelKind = 'tasks' | 'media' | 'annotations';

/** A feed message with the id of its event document. */
export type ReceivedMessage = FeedMessage & { id: string };

/** `/ws/tasks/SWA`, or a full spec URL (`ws://localhost:8080/ws/tasks/SWA?token=...`): which channel, for which id. */
export function parseChannel(channel: string): { kind: ChannelKind; id: string } {
  const path = channel.replace(/^[a-z]+:\/\/[^/]+/i, '').split(/[?#]/)[0] ?? '';
  const m = /^\/ws\/(tasks|media|annotations)\/([^/]+)\/?$/.exec(path);
  if (!m) throw new Error(`Unknown real-time channel ${channel}: expected /ws/tasks/{project_id}, /ws/media/{project_id} or /ws/annotations/{media_id}`);
  return { kind: m[1] as ChannelKind, id: decodeURIComponent(m[2]!) };
}

/** A document as the API returns it: its id, then its fields with Timestamps as ISO-8601 strings. */
export function toRecord(snap: DocumentSnapshot): JsonRecord {
  return { id: snap.id, ...(plain(snap.data() ?? {}) as DocumentData) };
}

function plain(value: unknown): unknown {
  if (value && typeof value === 'object') {
    if (typeof (value as { toDate?: unknown }).toDate === 'function') return (value as { toDate(): Date }).toDate().toISOString();
    if (Array.isArray(value)) return value.map(plain);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/**
 * Equality filters on the stored task fields. The API's GET /tasks matches case-insensitively and
 * searches text; a listener matches stored values exactly (use the API for anything fancier).
 */
export interface TaskFilters {
  status?: string | string[];
  artist?: string;
  episode?: string;
  sequence?: string;
  shot?: string;
  task?: string;
  priority?: string;
  /** Archived tasks are left out unless true (as in the API). */
  include_archived?: boolean;
}

export function tasksQuery(db: Firestore, projectId: string, filters: TaskFilters = {}): Query {
  const constraints: QueryConstraint[] = [where('project_id', '==', projectId)];
  for (const field of ['artist', 'episode', 'sequence', 'shot', 'task', 'priority'] as const) {
    const value = filters[field];
    if (value !== undefined) constraints.push(where(field, '==', value));
  }
  if (Array.isArray(filters.status)) constraints.push(where('status', 'in', filters.status));
  else if (filters.status !== undefined) constraints.push(where('status', '==', filters.status));
  return query(collection(db, 'tasks'), ...constraints);
}

export function mediaQuery(db: Firestore, projectId: string): Query {
  return query(collection(db, 'media'), where('project_id', '==', projectId));
}

/** The project filter is what lets the rules allow the query; the media id alone would be refused. */
export function annotationsQuery(db: Firestore, projectId: string, mediaId: string): Query {
  return query(collection(db, 'annotations'), where('project_id', '==', projectId), where('media_id', '==', mediaId));
}

/**
 * Calls `onMessage` with each feed message published after this call, oldest first. It starts
 * after the newest existing event (a cursor on the server's `created_at`, so client clock skew
 * loses nothing) and delivers only additions.
 */
export function subscribeToFeed(
  db: Firestore,
  projectId: string,
  onMessage: (message: ReceivedMessage) => void,
  onError: (error: Error) => void = () => {},
  onReady: () => void = () => {},
): Unsubscribe {
  const events = collection(db, 'projects', projectId, 'events');
  let stopped = false;
  let stop: Unsubscribe | undefined;
  getDocs(query(events, orderBy('created_at', 'desc'), limit(1))).then((latest) => {
    if (stopped) return;
    const newest = latest.docs[0];
    const after = query(events, orderBy('created_at'), ...(newest ? [startAfter(newest)] : []));
    let ready = false;
    stop = onSnapshot(
      after,
      (snap) => {
        if (!ready) {
          ready = true;
          onReady();
        }
        const added = snap
          .docChanges()
          .filter((change) => change.type === 'added')
          .map((change) => ({ id: change.doc.id, type: change.doc.get('type'), data: plain(change.doc.get('data')) }) as ReceivedMessage);
        // Commit order can differ from the order of the writes; `timestamp` is when each write happened.
        added.sort((a, b) => a.data.timestamp.localeCompare(b.data.timestamp));
        for (const message of added) onMessage(message);
      },
      onError,
    );
  }, onError);
  return () => {
    stopped = true;
    stop?.();
  };
}

export interface ChannelHandlers {
  /** The channel's current documents (tasks, media or annotations), after each change. */
  onDocuments?(records: JsonRecord[]): void;
  /** The channel's feed messages published after subscribing, in the spec's shapes. */
  onMessage?(message: ReceivedMessage): void;
  onError?(error: Error): void;
  /** Once every listener has its first snapshot: from here on no message is missed (the WebSocket's `onopen`). */
  onReady?(): void;
}

const CHANNEL_MESSAGES: Record<ChannelKind, ReadonlySet<FeedMessage['type']>> = {
  tasks: new Set(['task_created', 'task_updated', 'task_archived', 'task_deleted', 'tasks_bulk_updated', 'task_ready', 'task_blocked', 'import_completed']),
  media: new Set(['media_uploaded', 'media_approved', 'media_deleted']),
  annotations: new Set(['annotation_created', 'annotation_updated', 'annotation_archived', 'annotation_deleted']),
};

function annotationMediaId(message: FeedMessage): unknown {
  if (message.type === 'annotation_created') return message.data.annotation.media_id;
  if (message.type === 'annotation_updated' || message.type === 'annotation_archived' || message.type === 'annotation_deleted') return message.data.media_id;
  return undefined;
}

/**
 * Subscribes to a spec channel. For `/ws/annotations/{media_id}` the media record is read first
 * to learn its project. Returns the function that stops every listener it started.
 */
export function subscribe(db: Firestore, channel: string, handlers: ChannelHandlers): Unsubscribe {
  const { kind, id } = parseChannel(channel);
  const onError = handlers.onError ?? (() => {});
  const stops: Unsubscribe[] = [];
  let stopped = false;

  const listen = (projectId: string, documents: Query, mediaId?: string) => {
    if (stopped) return;
    let waiting = (handlers.onDocuments ? 1 : 0) + (handlers.onMessage ? 1 : 0);
    const oneReady = () => {
      if (--waiting === 0) handlers.onReady?.();
    };
    if (handlers.onDocuments) {
      const onDocuments = handlers.onDocuments;
      let first = true;
      stops.push(
        onSnapshot(
          documents,
          (snap) => {
            onDocuments(snap.docs.map(toRecord));
            if (first) {
              first = false;
              oneReady();
            }
          },
          onError,
        ),
      );
    }
    if (handlers.onMessage) {
      const onMessage = handlers.onMessage;
      const wanted = CHANNEL_MESSAGES[kind];
      const forThisChannel = (message: FeedMessage) => wanted.has(message.type) && (mediaId === undefined || annotationMediaId(message) === mediaId);
      stops.push(
        subscribeToFeed(
          db,
          projectId,
          (message) => {
            if (forThisChannel(message)) onMessage(message);
          },
          onError,
          oneReady,
        ),
      );
    }
    if (waiting === 0) handlers.onReady?.();
  };

  if (kind === 'tasks') listen(id, tasksQuery(db, id));
  else if (kind === 'media') listen(id, mediaQuery(db, id));
  else {
    getDoc(doc(db, 'media', id)).then((media) => {
      const projectId: unknown = media.get('project_id');
      if (!media.exists() || typeof projectId !== 'string') onError(new Error(`Media ${id} not found`));
      else listen(projectId, annotationsQuery(db, projectId, id), id);
    }, onError);
  }
  return () => {
    stopped = true;
    for (const stop of stops.splice(0)) stop();
  };
}

/** The two React hooks useTasks needs; pass React itself (`useTasks(React, db, 'SWA')`). */
export interface ReactHooks {
  useState<S>(initial: S): [S, (value: S) => void];
  useEffect(effect: () => void | (() => void), deps: readonly unknown[]): void;
}

/**
 * The spec's `useTasks` on listeners: the project's tasks, live. Every change by anyone arrives
 * in the snapshot, so there is nothing to merge by hand as the WebSocket version did.
 */
export function useTasks(react: ReactHooks, db: Firestore, projectId: string, filters: TaskFilters = {}) {
  const [tasks, setTasks] = react.useState<JsonRecord[]>([]);
  const [loading, setLoading] = react.useState(true);
  const [error, setError] = react.useState<Error | null>(null);
  const key = JSON.stringify(filters);

  react.useEffect(() => {
    setLoading(true);
    return onSnapshot(
      tasksQuery(db, projectId, filters),
      (snap) => {
        const records = snap.docs.map(toRecord).filter((t) => filters.include_archived || t.status !== 'archived');
        setTasks(records.sort((a, b) => a.id.localeCompare(b.id)));
        setError(null);
        setLoading(false);
      },
      (err) => {
        setError(err);
        setLoading(false);
      },
    );
    // `key` stands for `filters`, so a new object with the same filters does not resubscribe.
  }, [db, projectId, key]);

  return { tasks, loading, error };
}

/** What a Collaboration handler receives: the message's `data`, as the spec's handlers do. */
type DataOf<T extends FeedMessage['type']> = Extract<FeedMessage, { type: T }>['data'];

/**
 * The spec's CollaborationManager: one listener on the project's feed, handlers by event name.
 * Each `on...` returns the function that removes that handler.
 */
export class Collaboration {
  private readonly handlers = new Map<FeedMessage['type'], Set<(data: never) => void>>();
  private stop: Unsubscribe | null = null;

  constructor(
    private readonly db: Firestore,
    private readonly onError: (error: Error) => void = () => {},
  ) {}

  /** Resolves once the listener is live: every message published from then on is delivered. */
  initializeCollaboration(projectId: string): Promise<void> {
    this.close();
    return new Promise((resolve, reject) => {
      let ready = false;
      this.stop = subscribeToFeed(
        this.db,
        projectId,
        (message) => {
          for (const handler of this.handlers.get(message.type) ?? []) (handler as (data: FeedMessage['data']) => void)(message.data);
        },
        (error) => (ready ? this.onError(error) : reject(error)),
        () => {
          ready = true;
          resolve();
        },
      );
    });
  }

  close(): void {
    this.stop?.();
    this.stop = null;
  }

  on<T extends FeedMessage['type']>(type: T, handler: (data: DataOf<T>) => void): Unsubscribe {
    const set = this.handlers.get(type) ?? new Set();
    this.handlers.set(type, set);
    set.add(handler);
    return () => set.delete(handler);
  }

  onTaskCreated(handler: (data: DataOf<'task_created'>) => void) {
    return this.on('task_created', handler);
  }
  onTaskUpdated(handler: (data: DataOf<'task_updated'>) => void) {
    return this.on('task_updated', handler);
  }
  onTasksBulkUpdated(handler: (data: DataOf<'tasks_bulk_updated'>) => void) {
    return this.on('tasks_bulk_updated', handler);
  }
  onTaskReady(handler: (data: DataOf<'task_ready'>) => void) {
    return this.on('task_ready', handler);
  }
  onTaskBlocked(handler: (data: DataOf<'task_blocked'>) => void) {
    return this.on('task_blocked', handler);
  }
  onImportCompleted(handler: (data: DataOf<'import_completed'>) => void) {
    return this.on('import_completed', handler);
  }
  onMediaUploaded(handler: (data: DataOf<'media_uploaded'>) => void) {
    return this.on('media_uploaded', handler);
  }
  onMediaApproved(handler: (data: DataOf<'media_approved'>) => void) {
    return this.on('media_approved', handler);
  }
  onAnnotationCreated(handler: (data: DataOf<'annotation_created'>) => void) {
    return this.on('annotation_created', handler);
  }
  onAnnotationUpdated(handler: (data: DataOf<'annotation_updated'>) => void) {
    return this.on('annotation_updated', handler);
  }
}
