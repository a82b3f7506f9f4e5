// The Firestore collection names, in one place: every store reads them from here, so a store that
// reads another domain's collection (annotations read media, project stats count tasks) needs no
// import of that domain's store.

/** Projects; each has `members` and `events` subcollections. */
export const PROJECTS = 'projects';
/** Memberships: `projects/{project_id}/members/{uid}`. */
export const MEMBERS = 'members';
/** The real-time feed: `projects/{project_id}/events/{event_id}`. */
export const EVENTS = 'events';
export const TASKS = 'tasks';
export const MEDIA = 'media';
export const ANNOTATIONS = 'annotations';
export const AUDIT_LOGS = 'audit_logs';
export const IMPORT_JOBS = 'import_jobs';
/** Directory-structure requests for the studio's file-system agent. */
export const DIRECTORY_OPERATIONS = 'directory_operations';
/** Global admins, by uid. */
export const ADMINS = 'admins';
/** Who deleted what, for the audit trigger (see lib/deletions.ts). */
export const DELETIONS = 'deletions';
export const RATE_LIMITS = 'rate_limits';
/** Published file versions: counted in the stats; the studio's publishing tools write them, no API domain does. */
export const VERSIONS = 'versions';
