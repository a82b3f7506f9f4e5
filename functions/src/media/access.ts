// The checks every media operation starts with: the record exists, the caller holds the permission
// on its project, and the project (and, for uploads, the task) still takes changes.
import type { DocumentSnapshot, Firestore } from 'firebase-admin/firestore';
import type { AccessControl } from '../auth/access.js';
import type { Caller } from '../auth/caller.js';
import { forbidden, notFound, unprocessable } from '../http/errors.js';
import { requireOpenProject } from '../lib/open-project.js';
import { ProjectStore } from '../projects/store.js';
import { TaskResolver } from '../tasks/resolve.js';
import { MediaStore, type MediaRecord } from './store.js';

export class MediaAccess {
  private readonly projects: ProjectStore;
  private readonly store: MediaStore;
  private readonly tasks: TaskResolver;

  constructor(
    db: Firestore,
    private readonly access: AccessControl,
  ) {
    this.projects = new ProjectStore(db);
    this.store = new MediaStore(db);
    this.tasks = new TaskResolver(db, access);
  }

  async readable(caller: Caller, id: string): Promise<DocumentSnapshot> {
    const snap = await this.store.get(id);
    if (!snap) throw notFound(`Media ${id}`);
    await this.access.require(caller, snap.get('project_id') as string, 'read', `Media ${id}`);
    return snap;
  }

  /** A readable record whose file has landed. */
  async withFile(caller: Caller, id: string): Promise<DocumentSnapshot> {
    const snap = await this.readable(caller, id);
    const status = snap.get('status') as MediaRecord['status'];
    if (status === 'pending_upload') throw unprocessable(`Media ${id} has no file yet (status pending_upload)`);
    if (status !== 'active') throw unprocessable(`Media ${id} has no file (${(snap.get('file_error') as string | null) ?? `status ${status}`})`);
    return snap;
  }

  /** The media and its open project, when the caller holds `permission` on it. */
  async changeable(caller: Caller, id: string, permission: 'write' | 'review'): Promise<{ snap: DocumentSnapshot; project: DocumentSnapshot }> {
    const snap = await this.store.get(id);
    if (!snap) throw notFound(`Media ${id}`);
    const projectId = snap.get('project_id') as string;
    await this.access.require(caller, projectId, permission, `Media ${id}`);
    return { snap, project: await this.requireOpenProject(projectId) };
  }

  async writable(caller: Caller, id: string): Promise<DocumentSnapshot> {
    return (await this.changeable(caller, id, 'write')).snap;
  }

  /**
   * Approving or rejecting needs `review` (project admins have it), and never on one's own upload
   * unless the project allows it: an artist must not sign off their own work.
   */
  async reviewable(caller: Caller, id: string): Promise<DocumentSnapshot> {
    const { snap, project } = await this.changeable(caller, id, 'review');
    if (snap.get('author') === caller.uid && project.get('allow_self_review') !== true) {
      throw forbidden(`You uploaded media ${id}; project ${project.id} does not allow reviewing one's own upload (allow_self_review)`);
    }
    return snap;
  }

  /** The task new media will link to (of `projectId` when given: ids are per project), once the caller may write to its project. */
  async uploadTarget(caller: Caller, taskId: string, givenProject: string | undefined): Promise<{ projectId: string }> {
    const task = await this.tasks.find(caller, taskId, 'write', givenProject);
    const projectId = task.get('project_id') as string;
    await this.requireOpenProject(projectId);
    if (task.get('status') === 'archived') throw unprocessable(`Task ${taskId} is archived; it takes no new media`);
    return { projectId };
  }

  private async requireOpenProject(projectId: string): Promise<DocumentSnapshot> {
    const project = await this.projects.get(projectId);
    if (!project) throw notFound(`Project ${projectId}`);
    return requireOpenProject(project, 'its media are read-only');
  }
}
