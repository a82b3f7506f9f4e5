// An archived project stays readable but takes no new work: every domain that adds to a project
// refuses the same way, naming what the project no longer takes.
import type { DocumentSnapshot } from 'firebase-admin/firestore';
import { unprocessable } from '../http/errors.js';

/** The project, unless it is archived (422): `refusal` ends the message, e.g. "it takes no new tasks". */
export function requireOpenProject(project: DocumentSnapshot, refusal: string): DocumentSnapshot {
  if (project.get('status') === 'archived') throw unprocessable(`Project ${project.id} is archived; ${refusal}`);
  return project;
}
