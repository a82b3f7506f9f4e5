// Membership schemas: who may be added to a project with which permissions (the spec's addProjectUsers).
import { z } from 'zod';
import { PERMISSIONS } from '../auth/caller.js';
import { permissionSchema } from '../auth/schemas.js';
import { projectIdSchema, uidSchema } from '../lib/ids.js';

export const permissionsSchema = z
  .array(permissionSchema)
  .min(1, 'At least one permission is required')
  .max(PERMISSIONS.length)
  .describe('read; write (implies read); review: approve or reject media (implies read); admin (implies all)');

export const memberParams = z.strictObject({ project_id: projectIdSchema, user_id: uidSchema });

/** A user named by uid or by email, as the spec's addProjectUsers workflow sends them. */
export const memberEntry = z
  .strictObject({
    user_id: uidSchema.optional(),
    email: z.email('email must be a valid email address').optional(),
    permissions: permissionsSchema,
  })
  .refine((e) => (e.user_id === undefined) !== (e.email === undefined), { message: 'Give exactly one of user_id or email' });

export const addMembersBody = z.array(memberEntry).min(1, 'At least one user is required').max(100, 'At most 100 users per call');

export const updateMemberBody = z.strictObject({ permissions: permissionsSchema });

export const memberResponse = z.object({
  user_id: z.string(),
  email: z.string().nullable(),
  display_name: z.string().nullable(),
  permissions: z.array(permissionSchema),
  added_by: z.string().optional(),
  added_at: z.string().optional(),
  updated_at: z.string().optional(),
});

export const addMembersResponse = z.object({
  added: z.array(memberResponse),
  errors: z.array(z.object({ index: z.number().int(), user: z.string(), error: z.string() })),
});
