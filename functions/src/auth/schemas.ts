import { z } from 'zod';
import { projectIdSchema, uidSchema } from '../lib/ids.js';
import { PERMISSIONS } from './caller.js';

export const permissionSchema = z.enum(PERMISSIONS);
export const permissionsSchema = z
  .array(permissionSchema)
  .min(1, 'At least one permission is required')
  .max(PERMISSIONS.length)
  .describe('read; write (implies read); review: approve or reject media (implies read); admin (implies all)');

export const loginBody = z.strictObject({
  email: z.email('email must be a valid email address').max(320),
  password: z.string().min(1, 'password is required').max(4096),
  project_id: projectIdSchema.optional(),
});

export const refreshBody = z.strictObject({
  refresh_token: z.string().min(1, 'refresh_token is required').max(4096),
  project_id: projectIdSchema.optional(),
});

export const tokenResponse = z.object({
  access_token: z.string().describe('Firebase ID token; send it as Authorization: Bearer'),
  token_type: z.literal('bearer'),
  expires_in: z.number().int().describe('Seconds until the access token expires'),
  user_id: z.string(),
  project_id: z.string().nullable(),
  permissions: z.array(permissionSchema).describe('Permissions on project_id (empty without one)'),
  refresh_token: z.string(),
});

export const meResponse = z.object({
  user_id: z.string(),
  email: z.string().nullable(),
  display_name: z.string().nullable(),
  admin: z.boolean().describe('Global admin (custom claim admin: true)'),
  projects: z.array(z.object({ project_id: z.string(), permissions: z.array(permissionSchema) })),
});

export const logoutResponse = z.object({ message: z.string(), revoked_at: z.string() });

export const projectParams = z.strictObject({ project_id: projectIdSchema });
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
