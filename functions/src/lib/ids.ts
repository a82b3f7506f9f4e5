// Identifiers that reach Firestore paths or Storage keys. Anything a user sends is checked here
// first, so `/`, `..`, NUL or Firestore's reserved `__x__` ids never become a path. Neither a
// project id nor a document id may hold `~`: it joins them in a task's key (tasks/keys.ts).
import { z } from 'zod';

/** A project id as the spec writes them (`SWA`, `NEW_PROJECT`). */
export const projectIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'Project id must be 1-64 letters, digits, _ or -, starting with a letter or digit')
  .describe('Project id, e.g. SWA');

/** Task ids are per project: when the caller sees a task id in several projects, this picks one (else 409). */
export const taskProjectParam = projectIdSchema.optional().describe('The project of the task, needed only when the id exists in several of your projects (409 otherwise)');

/** A generated or spec-derived document id (tasks, media, annotations, jobs, users). */
export const docIdSchema = (what: string) =>
  z
    .string()
    .min(1, `${what} id is required`)
    .max(256, `${what} id is at most 256 characters`)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, `${what} id may only contain letters, digits, _, . and -`)
    .refine((id) => !id.includes('..'), `${what} id may not contain '..'`)
    .describe(`${what} id`);

/** A Firebase Auth uid. */
export const uidSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, 'User id must be 1-128 letters, digits, _ or -')
  .refine((id) => !/^__.*__$/.test(id), 'User id may not have the form __x__ (reserved by Firestore)')
  .describe('Firebase Auth uid');
