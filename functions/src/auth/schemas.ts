import { z } from 'zod';
import { projectIdSchema } from '../lib/ids.js';
import { PERMISSIONS } from './caller.js';

export const permissionSchema = z.enum(PERMISSIONS);

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
