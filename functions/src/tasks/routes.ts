import { created, defineRoute, ok } from '../http/route.js';
import {
  addFieldBody,
  bulkUpdateBody,
  bulkUpdateResponse,
  legacyBulkBody,
  legacyBulkResponse,
  taskCreateSchema,
  taskListQuery,
  taskPage,
  taskParams,
  taskResponse,
  taskTargetQuery,
  taskUpdateSchema,
} from './schemas.js';
import { dependenciesResponse } from './dependencies.js';
import { TaskService, legacyUpdates } from './service.js';

const tags = ['Tasks'];
const ifMatchHeader = (req: { get(name: string): string | undefined }) => req.get('if-match');
const etagged = (r: { task: unknown; etag: string }) => ok(r.task, { ETag: r.etag });

const bulkErrors = { 422: { description: 'atomic: true and some task cannot be updated; nothing was changed (details.errors lists why, per task)' } };
const ambiguous = { 409: { description: 'The id exists in several of your projects: give project_id' } };
const target = (params: { task_id: string }, query: { project_id?: string | undefined }) => ({ id: params.task_id, projectId: query.project_id });

/** Every task route; `PATCH /tasks/bulk-update` comes before `PATCH /tasks/{task_id}`. */
export function taskRoutes(service: TaskService) {
  return [
    defineRoute({
      method: 'get',
      path: '/tasks',
      summary: 'List tasks of the projects you can read, filtered, searched, sorted and paged',
      description:
        'Every filter takes several values (comma-separated or repeated). Episode, sequence, shot, task type, artist and priority match in any case. ' +
        'Archived tasks are hidden unless include_archived=true or status names archived.',
      tags,
      query: taskListQuery,
      responses: { 200: { description: 'A page of tasks', schema: taskPage } },
      handler: async ({ caller, query }) => ok(await service.list(caller, query)),
    }),
    defineRoute({
      method: 'post',
      path: '/tasks',
      summary: 'Create a task (id {episode}_{sequence}_{shot}_{task} lower-cased unless given)',
      tags,
      // Checked against the project's configuration too (validation.ts), all problems in one 400.
      body: taskCreateSchema,
      refinesBody: true,
      responses: {
        201: { description: 'The task', schema: taskResponse },
        409: { description: 'A task with this id exists in the project' },
        422: { description: 'The project is archived' },
      },
      handler: async ({ caller, body }) => {
        const r = await service.create(caller, body);
        return created(r.task, { ETag: r.etag, Location: `/api/v1/tasks/${r.task.id}` });
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/tasks/bulk-update',
      summary: 'Update many tasks, each with its own changes (up to 500)',
      description:
        'Body: the spec\'s array of {task_id, updates}, or {atomic, updates: [...]}. Unknown, forbidden and invalid tasks are reported per item in errors; ' +
        'the others are updated. With atomic: true nothing is written unless every task can be updated.',
      tags,
      query: taskTargetQuery,
      body: bulkUpdateBody,
      responses: { 200: { description: 'What was updated and what failed', schema: bulkUpdateResponse }, ...bulkErrors },
      handler: async ({ caller, body, query }) => {
        const { atomic, updates } = Array.isArray(body) ? { atomic: false, updates: body } : body;
        const r = await service.bulkUpdate(caller, updates, { atomic, operation: 'bulk_update', projectId: query.project_id });
        return ok({ message: `Successfully updated ${r.updated.length} tasks`, updated_count: r.updated.length, failed_count: r.errors.length, updated_tasks: r.updated, errors: r.errors });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/tasks/bulk',
      summary: 'Apply one operation to many tasks (legacy format, up to 500)',
      description: 'Operations: update, update_status (data.status), assign_artist (data.artist), set_priority (data.priority), set_milestone (data.milestone), archive.',
      tags,
      query: taskTargetQuery,
      body: legacyBulkBody,
      responses: { 200: { description: 'Per-task outcome', schema: legacyBulkResponse }, ...bulkErrors },
      handler: async ({ caller, body, query }) => {
        const updates = legacyUpdates(body.operation, body.data);
        const r = await service.bulkUpdate(caller, body.task_ids.map((task_id) => ({ task_id, updates })), { atomic: body.atomic, operation: body.operation, projectId: query.project_id });
        return ok({ successful: r.updated.length, failed: r.errors.length, errors: r.errors, updated_tasks: r.updated });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/tasks/{task_id}',
      summary: 'Get a task (with its ETag)',
      tags,
      params: taskParams,
      query: taskTargetQuery,
      responses: { 200: { description: 'The task', schema: taskResponse }, ...ambiguous },
      handler: async ({ caller, params, query }) => etagged(await service.get(caller, params.task_id, query.project_id)),
    }),
    defineRoute({
      method: 'get',
      path: '/tasks/{task_id}/dependencies',
      summary: 'What a task waits for and what waits for it, with their status and whether each blocks',
      tags,
      params: taskParams,
      query: taskTargetQuery,
      responses: { 200: { description: 'Upstream and downstream tasks', schema: dependenciesResponse }, ...ambiguous },
      handler: async ({ caller, params, query }) => ok(await service.dependencies.view(caller, target(params, query))),
    }),
    defineRoute({
      method: 'patch',
      path: '/tasks/{task_id}',
      summary: 'Change some fields of a task (If-Match: its ETag, 412 when stale)',
      tags,
      params: taskParams,
      query: taskTargetQuery,
      // Checked against the task and its project's configuration too (validation.ts), all problems in one 400.
      body: taskUpdateSchema,
      refinesBody: true,
      responses: {
        200: { description: 'The updated task', schema: taskResponse },
        ...ambiguous,
        412: { description: 'If-Match does not match the current version' },
      },
      handler: async ({ caller, params, query, body, req }) => etagged(await service.update(caller, target(params, query), body, ifMatchHeader(req))),
    }),
    defineRoute({
      method: 'delete',
      path: '/tasks/{task_id}',
      summary: 'Archive a task (soft delete; lists hide it unless include_archived=true)',
      tags,
      params: taskParams,
      query: taskTargetQuery,
      responses: { 200: { description: 'The archived task', schema: taskResponse }, ...ambiguous, 412: { description: 'If-Match does not match the current version' } },
      handler: async ({ caller, params, query, req }) => etagged(await service.archive(caller, target(params, query), ifMatchHeader(req))),
    }),
    defineRoute({
      method: 'post',
      path: '/tasks/{task_id}/add-field',
      summary: 'Add custom fields to a task',
      description: 'Names must not be task fields or reserved (400), nor fields the task already has (409: change those with PATCH). Values are any JSON Firestore can store.',
      tags,
      params: taskParams,
      query: taskTargetQuery,
      body: addFieldBody,
      responses: {
        200: { description: 'The task with its new fields', schema: taskResponse },
        409: { description: 'The task already has one of these fields, or the id exists in several of your projects (give project_id)' },
      },
      handler: async ({ caller, params, query, body, req }) => etagged(await service.addFields(caller, target(params, query), body, ifMatchHeader(req))),
    }),
  ];
}
