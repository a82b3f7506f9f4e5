import { defineRoute, ok } from '../http/route.js';
import { loginBody, logoutResponse, meResponse, refreshBody, tokenResponse } from './schemas.js';
import type { AuthService } from './service.js';

const tags = ['Authentication'];

export function authRoutes(service: AuthService) {
  return [
    defineRoute({
      method: 'post',
      path: '/auth/login',
      summary: 'Sign in with email and password; returns a Firebase ID token and refresh token',
      tags,
      public: true,
      body: loginBody,
      responses: {
        200: { description: 'Signed in', schema: tokenResponse },
        401: { description: 'Invalid email or password' },
        403: { description: 'Account disabled, or no access to project_id' },
        429: { description: 'Too many failed sign-ins for this account from this address, or from this address (Retry-After)' },
      },
      handler: async ({ body, req }) => ok(await service.login(body.email, body.password, body.project_id, req.ip ?? 'unknown')),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/refresh',
      summary: 'Exchange a refresh token for a new access token',
      tags,
      public: true,
      body: refreshBody,
      responses: { 200: { description: 'New tokens', schema: tokenResponse }, 401: { description: 'Refresh token invalid or revoked' } },
      handler: async ({ body }) => ok(await service.refresh(body.refresh_token, body.project_id)),
    }),
    defineRoute({
      method: 'get',
      path: '/auth/me',
      summary: 'The current user, global admin flag and project permissions',
      tags,
      responses: { 200: { description: 'The caller', schema: meResponse } },
      handler: async ({ caller }) => ok(await service.me(caller)),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/logout',
      summary: "Revoke the user's refresh tokens; earlier ID tokens are refused from then on",
      tags,
      responses: { 200: { description: 'Signed out', schema: logoutResponse } },
      handler: async ({ caller }) => ok(await service.logout(caller)),
    }),
  ];
}
