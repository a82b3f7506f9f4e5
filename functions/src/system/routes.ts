import { z } from 'zod';
import type { AccessControl } from '../auth/access.js';
import { defineRoute, ok } from '../http/route.js';
import { COUNTED_COLLECTIONS, type SystemService } from './service.js';

const tags = ['System'];

export const healthResponse = z.object({
  status: z.enum(['healthy', 'degraded']),
  timestamp: z.string(),
  checks: z.record(z.string(), z.string()).optional(),
});

const statsResponse = z.object({
  database: z.object({
    total_documents: z.number().int(),
    collections: z.object(Object.fromEntries(Object.keys(COUNTED_COLLECTIONS).map((k) => [k, z.number().int()]))),
  }),
});

export function systemRoutes(service: SystemService, access: AccessControl) {
  return [
    defineRoute({
      method: 'get',
      path: '/health',
      summary: 'Health check (also at /health); 503 when Firestore is unreachable',
      tags,
      public: true,
      responses: { 200: { description: 'Healthy', schema: healthResponse }, 503: { description: 'Degraded', schema: healthResponse } },
      handler: async () => {
        const health = await service.health();
        return { status: health.status === 'healthy' ? 200 : 503, body: health };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/stats',
      summary: 'Document counts per collection (global admins); uses count aggregations',
      tags,
      responses: { 200: { description: 'Counts', schema: statsResponse } },
      handler: async ({ caller }) => {
        access.requireGlobalAdmin(caller, 'read database statistics');
        return ok(await service.stats());
      },
    }),
  ];
}
