import { created, defineRoute, ok } from '../http/route.js';
import {
  directoryOperationResponse,
  directoryStructureBody,
  projectCreateBody,
  projectListQuery,
  projectPage,
  projectParams,
  projectPatchBody,
  projectResponse,
  projectStatsResponse,
} from './schemas.js';
import type { ProjectService } from './service.js';

const tags = ['Projects'];
const ifMatchHeader = (req: { get(name: string): string | undefined }) => req.get('if-match');
const etagged = (r: { project: unknown; etag: string }) => ok(r.project, { ETag: r.etag });
const configErrors = 'Invalid input, or a template or pattern uses a placeholder the Path Builder does not know (named in details.errors)';

/** Project routes; membership routes (`/projects/{project_id}/users`) are members/. */
export function projectRoutes(service: ProjectService) {
  return [
    defineRoute({
      method: 'get',
      path: '/projects',
      summary: 'List the projects you belong to (all of them for global admins)',
      description: 'Ordered by project id. Archived projects are hidden unless include_archived=true or status names archived.',
      tags,
      query: projectListQuery,
      responses: { 200: { description: 'A page of projects', schema: projectPage } },
      handler: async ({ caller, query }) => ok(await service.list(caller, query)),
    }),
    defineRoute({
      method: 'post',
      path: '/projects',
      summary: 'Create a project (global admins); the creator becomes its admin',
      tags,
      body: projectCreateBody,
      responses: {
        201: { description: 'The project', schema: projectResponse },
        400: { description: configErrors },
        409: { description: 'A project with this id exists (in any letter case)' },
      },
      handler: async ({ caller, body }) => {
        const r = await service.create(caller, body);
        return created(r.project, { ETag: r.etag, Location: `/api/v1/projects/${r.project.id}` });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/projects/{project_id}',
      summary: "A project's configuration",
      tags,
      params: projectParams,
      responses: { 200: { description: 'The project (ETag header for If-Match)', schema: projectResponse } },
      handler: async ({ caller, params }) => etagged(await service.get(caller, params.project_id)),
    }),
    defineRoute({
      method: 'patch',
      path: '/projects/{project_id}',
      summary: 'Change a project (project admins): partial, nested maps merge',
      description:
        'drive_mapping, path_segments, templates and filename_patterns merge key by key into the stored maps; a key set to null is removed. ' +
        'Lists (task_types, milestones, priority_levels) replace. The merged configuration is validated as a whole. Send If-Match to refuse a stale update (412).',
      tags,
      params: projectParams,
      body: projectPatchBody,
      responses: { 200: { description: 'The project', schema: projectResponse }, 400: { description: configErrors }, 412: { description: 'If-Match does not match the current version' } },
      handler: async ({ caller, params, body, req }) => etagged(await service.update(caller, params.project_id, body, ifMatchHeader(req))),
    }),
    defineRoute({
      method: 'delete',
      path: '/projects/{project_id}',
      summary: 'Archive a project (project admins; soft delete)',
      description: 'The project stays readable; lists hide it unless include_archived=true; it takes no new tasks, media or directories (422). PATCH status back to active to restore it.',
      tags,
      params: projectParams,
      responses: { 200: { description: 'The archived project', schema: projectResponse }, 412: { description: 'If-Match does not match the current version' } },
      handler: async ({ caller, params, req }) => etagged(await service.archive(caller, params.project_id, ifMatchHeader(req))),
    }),
    defineRoute({
      method: 'get',
      path: '/projects/{project_id}/stats',
      summary: 'Project statistics: tasks by status and type, media, storage, active artists, completion',
      description: 'Computed with count and sum aggregations; no task or media document is read in bulk.',
      tags,
      params: projectParams,
      responses: { 200: { description: 'Statistics', schema: projectStatsResponse } },
      handler: async ({ caller, params }) => ok(await service.stats(caller, params.project_id)),
    }),
    defineRoute({
      method: 'post',
      path: '/projects/{project_id}/directory-structure',
      summary: "Plan the project's folder tree for episodes, sequences, shots and task types (write permission)",
      description:
        'Expands every template (or those named) down to the deepest folder the request gives values for, lists each directory with its parents below the drive, ' +
        'and records the plan as a pending directory_operations document for a studio-side agent. No filesystem is touched.',
      tags,
      params: projectParams,
      body: directoryStructureBody,
      responses: {
        201: { description: 'The recorded operation and its directories', schema: directoryOperationResponse },
        422: { description: 'Archived project, unknown task type or template, or more than 5000 directories' },
      },
      handler: async ({ caller, params, body }) => created(await service.planDirectoryStructure(caller, params.project_id, body)),
    }),
  ];
}
