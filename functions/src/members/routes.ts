// Membership endpoints under /projects/{project_id}/users: project admins list, add, change and remove members.
import { defineRoute, noContent, ok } from '../http/route.js';
import { paginationQuery, pageSchema } from '../http/pagination.js';
import { z } from 'zod';
import { projectParams } from '../projects/schemas.js';
import { addMembersBody, addMembersResponse, memberParams, memberResponse, updateMemberBody } from './schemas.js';
import type { MembersService } from './service.js';

const tags = ['Project membership'];

export function memberRoutes(service: MembersService) {
  return [
    defineRoute({
      method: 'get',
      path: '/projects/{project_id}/users',
      summary: "List a project's members and their permissions (project admins)",
      tags,
      params: projectParams,
      query: z.strictObject(paginationQuery),
      responses: { 200: { description: 'Members', schema: pageSchema(memberResponse) } },
      handler: async ({ caller, params, query }) => ok(await service.list(caller, params.project_id, query)),
    }),
    defineRoute({
      method: 'post',
      path: '/projects/{project_id}/users',
      summary: 'Add users (by uid or email) to a project with permissions (project admins)',
      description: 'Takes the spec\'s array `[{user_id | email, permissions}]`. Unknown users are reported per entry in `errors`; the others are added.',
      tags,
      params: projectParams,
      body: addMembersBody,
      responses: { 200: { description: 'Added members and per-entry errors', schema: addMembersResponse } },
      handler: async ({ caller, params, body }) => ok(await service.add(caller, params.project_id, body)),
    }),
    defineRoute({
      method: 'patch',
      path: '/projects/{project_id}/users/{user_id}',
      summary: "Change a member's permissions (project admins)",
      tags,
      params: memberParams,
      body: updateMemberBody,
      responses: { 200: { description: 'The member', schema: memberResponse }, 422: { description: 'Would leave the project without an admin' } },
      handler: async ({ caller, params, body }) => ok(await service.update(caller, params.project_id, params.user_id, body.permissions)),
    }),
    defineRoute({
      method: 'delete',
      path: '/projects/{project_id}/users/{user_id}',
      summary: 'Remove a member from a project (project admins)',
      tags,
      params: memberParams,
      responses: { 204: { description: 'Removed' }, 422: { description: 'Would leave the project without an admin' } },
      handler: async ({ caller, params }) => {
        await service.remove(caller, params.project_id, params.user_id);
        return noContent();
      },
    }),
  ];
}
