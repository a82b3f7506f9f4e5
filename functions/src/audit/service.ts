// Who may read the audit log: project admins read their project's entries, global admins any;
// readers of a project read the history of its tasks.
import type { DocumentSnapshot } from 'firebase-admin/firestore';
import type { Caller } from '../auth/caller.js';
import { validationError } from '../http/errors.js';
import { paginate, type Page, type PageParams } from '../http/pagination.js';
import { docToJson } from '../lib/serialize.js';
import { TaskResolver, type TaskTarget } from '../tasks/resolve.js';
import type { AuditEntry, AuditQuery } from './schemas.js';
import { AuditStore, type AuditFilters } from './store.js';
import { DomainService } from '../lib/domain-service.js';

const newestFirst = [{ field: 'time', direction: 'desc' as const }];

export class AuditService extends DomainService {
  private readonly store = new AuditStore(this.deps.db);

  async list(caller: Caller, query: AuditQuery): Promise<Page<AuditEntry>> {
    const { page, page_size, page_token, ...filters } = query;
    if (!filters.project_id && !caller.admin) {
      throw validationError('project_id is required: only global admins may read the audit log across projects', { field: 'project_id', issue: 'required' });
    }
    // The project's check runs while the page is read.
    const allowed = filters.project_id ? this.access.require(caller, filters.project_id, 'admin') : undefined;
    return this.page(filters, { page, page_size, page_token }, allowed);
  }

  /**
   * A task's entries, newest first. Non-members hear that the task does not exist. Entries name a
   * task by its bare id (audit/triggers.ts) and its project, as task ids are per project.
   */
  async taskHistory(caller: Caller, target: TaskTarget, query: PageParams & Pick<AuditFilters, 'from' | 'to'>): Promise<Page<AuditEntry>> {
    const { page, page_size, page_token, from, to } = query;
    const task = await new TaskResolver(this.deps.db, this.access).find(caller, target.id, 'read', target.projectId);
    return this.page({ project_id: String(task.get('project_id')), collection: 'tasks', document_id: target.id, from, to }, { page, page_size, page_token });
  }

  private page(filters: AuditFilters, params: PageParams, alongside?: Promise<unknown>): Promise<Page<AuditEntry>> {
    return paginate(this.store.query(filters), params, {
      orderBy: newestFirst,
      fingerprint: ['audit', filters],
      map: (snap: DocumentSnapshot) => docToJson<AuditEntry>(snap),
      alongside,
    });
  }
}
