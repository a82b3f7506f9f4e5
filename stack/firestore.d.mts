/** A Firestore value in proto3 JSON form, e.g. `{ integerValue: '1' }`, `{ mapValue: { fields } }`. */
export type JsonValue = Record<string, unknown>;

/** A v1 Document in proto3 JSON form (what Firestore's REST API and trigger events carry). */
export interface JsonDocument {
  /** `projects/{project}/databases/{database}/documents/{path}` */
  name: string;
  fields: Record<string, JsonValue>;
  /** RFC 3339 with microseconds. */
  createTime: string;
  updateTime: string;
}

/** One committed document write. Events arrive in commit order; a commit writing n documents gives n events. */
export interface DocumentChangeEvent {
  /** Document path relative to the database root, e.g. `users/u1/posts/p1`. */
  path: string;
  /** Full resource name. */
  name: string;
  projectId: string;
  databaseId: string;
  /** The document before the write, or null if it did not exist. */
  before: JsonDocument | null;
  /** The document after the write, or null if the write deleted it. */
  after: JsonDocument | null;
  /** The document's update time after the write (the commit time for deletes). */
  updateTime: string;
  commitTime: string;
}

/** Receives change events; a thrown error or rejected promise is logged and never affects the write. */
export type DocumentChangeListener = (event: Readonly<DocumentChangeEvent>) => void | Promise<void>;

/** The stand-in's in-memory store (test support; the gRPC API is the supported way in). */
export interface FirestoreStandInState {
  /** Stored documents by full resource name. */
  readonly docs: ReadonlyMap<string, unknown>;
  /** Removes every document of every project, without change events. */
  clear(): void;
}

export interface FirestoreStandIn {
  /** `host:port` for FIRESTORE_EMULATOR_HOST. */
  host: string;
  state: FirestoreStandInState;
  /** Observe committed changes of this stand-in only. Returns an unsubscribe function. */
  onDocumentChange(listener: DocumentChangeListener): () => void;
  stop(): Promise<void>;
}

export function startFirestoreStandIn(options: { host?: string; port: number }): Promise<FirestoreStandIn>;

/** Observe committed changes of every stand-in in this process. Returns an unsubscribe function. */
export function onDocumentChange(listener: DocumentChangeListener): () => void;
