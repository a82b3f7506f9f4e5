import { defineRoute, ok } from '../http/route.js';
import { auditPage, auditQuery, historyQuery, taskHistoryParams } from './schemas.js';
import type { AuditService } from './service.js';

const tags = ['Audit log'];

export function auditRoutes(service: AuditService) {
  return [
    defineRoute({
      method: 'get',
      path: '/audit',
      summary: 'List audit log entries (project admins; global admins across projects)',
      description:
        'Every write to projects, memberships, tasks, media and annotations, with the changed fields\' old and new values, the actor and the time; newest first. `project_id` is required unless the caller is a global admin.',
      tags,
      query: auditQuery,
      responses: { 200: { description: 'Audit entries', schema: auditPage } },
      handler: async ({ caller, query }) => ok(await service.list(caller, query)),
    }),
    defineRoute({
      method: 'get',
      path: '/tasks/{task_id}/history',
      summary: "A task's change history (readers of its project)",
      tags,
      params: taskHistoryParams,
      query: historyQuery,
      responses: { 200: { description: 'Audit entries of the task, newest first', schema: auditPage } },
      handler: async ({ caller, params, query: { project_id, ...range } }) => ok(await service.taskHistory(caller, { id: params.task_id, projectId: project_id }, range)),
    }),
  ];
}
