// Audit log shapes: the one source for validation, response types and the OpenAPI document.
import { z } from 'zod';
import { paginationQuery, pageSchema } from '../http/pagination.js';
import { docIdSchema, projectIdSchema, taskProjectParam, uidSchema } from '../lib/ids.js';

export const AUDIT_ACTIONS = ['create', 'update', 'archive', 'delete'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Collections whose writes are audited (`members` are the `projects/{p}/members` documents). */
export const AUDITED_COLLECTIONS = ['projects', 'members', 'tasks', 'media', 'annotations'] as const;

const instant = (field: string) =>
  z.iso
    .datetime({ offset: true, message: `${field} must be an ISO-8601 date-time, e.g. 2025-08-29T10:00:00Z` })
    .transform((v) => new Date(v))
    .describe(`${field === 'from' ? 'Earliest' : 'Latest'} entry time (inclusive), ISO-8601`);

const timeRange = {
  from: instant('from').optional(),
  to: instant('to').optional(),
};

const rangeInOrder = (q: { from?: Date | undefined; to?: Date | undefined }) => !q.from || !q.to || q.from <= q.to;
const rangeMessage = { message: 'from must not be later than to', path: ['from'] };

export const auditQuery = z
  .strictObject({
    ...paginationQuery,
    project_id: projectIdSchema.optional().describe('Project whose entries to list; required unless the caller is a global admin'),
    collection: z.enum(AUDITED_COLLECTIONS, { message: `collection must be one of ${AUDITED_COLLECTIONS.join(', ')}` }).optional(),
    document_id: docIdSchema('Document').optional().describe('Id of the changed document (task id, media id, uid for members...)'),
    actor: uidSchema.optional().describe('Uid of the user who made the change'),
    ...timeRange,
  })
  .refine(rangeInOrder, rangeMessage);
export type AuditQuery = z.output<typeof auditQuery>;

export const historyQuery = z.strictObject({ ...paginationQuery, ...timeRange, project_id: taskProjectParam }).refine(rangeInOrder, rangeMessage);

export const taskHistoryParams = z.strictObject({ task_id: docIdSchema('Task') });

const fieldChange = z
  .object({
    old: z.unknown().describe('Value before the write (null when absent)'),
    new: z.unknown().describe('Value after the write (null when removed)'),
    truncated: z.literal(true).optional().describe('Set instead of old/new when the change was too large to keep'),
  })
  .describe('One changed field');

export const auditEntry = z
  .object({
    id: z.string().describe('The CloudEvent id of the write'),
    collection: z.enum(AUDITED_COLLECTIONS),
    document_id: z.string(),
    document_path: z.string(),
    project_id: z.string().nullable(),
    action: z.enum(AUDIT_ACTIONS),
    changes: z.record(z.string(), fieldChange).describe('Changed fields with old and new values (updated_at/updated_by left out)'),
    changes_truncated: z.boolean(),
    actor: z.string().nullable().describe('Uid from the write\'s updated_by (of the last version for deletes)'),
    bulk_id: z.string().nullable().describe('The bulk call the write was part of'),
    time: z.string().describe('When the write happened, ISO-8601'),
  })
  .describe('One audited write');
export type AuditEntry = z.infer<typeof auditEntry>;

export const auditPage = pageSchema(auditEntry);
