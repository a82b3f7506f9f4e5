import { z } from 'zod';
import { paginationQuery } from '../http/pagination.js';
import { booleanParam } from '../http/query.js';
import { docIdSchema, projectIdSchema, uidSchema } from '../lib/ids.js';
import type { FieldIssue } from '../http/validate.js';

export const ANNOTATION_TYPES = ['note', 'markup', 'approval'] as const;
export const ANNOTATION_STATUSES = ['active', 'resolved', 'archived'] as const;
export type AnnotationType = (typeof ANNOTATION_TYPES)[number];
export type AnnotationStatus = (typeof ANNOTATION_STATUSES)[number];

export const MAX_CONTENT_LENGTH = 5000;
export const MAX_STROKES = 200;
/** Across all strokes: keeps a markup document far below Firestore's 1 MiB. */
export const MAX_DRAWING_POINTS = 5000;
/** Replies per thread: archiving a thread archives its replies in one transaction (500 writes at most). */
export const MAX_REPLIES = 200;

const coordinate = (name: string) => z.number({ message: `${name} must be a number` }).min(0, `${name} must be 0 or more`);

export const annotationTypeSchema = z.enum(ANNOTATION_TYPES, { message: `annotation_type must be one of ${ANNOTATION_TYPES.join(', ')}` });
export const annotationStatusSchema = z.enum(ANNOTATION_STATUSES, { message: `status must be one of ${ANNOTATION_STATUSES.join(', ')}` });

export const positionSchema = z
  .strictObject({ x: coordinate('x'), y: coordinate('y'), width: coordinate('width'), height: coordinate('height') })
  .describe('Region of the picture in pixels, top-left corner and size (inside the picture when its size is known)');

const pointSchema = z.strictObject({ x: coordinate('x'), y: coordinate('y') });

export const strokeSchema = z.strictObject({
  points: z.array(pointSchema).min(1, 'A stroke needs at least one point'),
  colour: z.string().regex(/^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/, 'colour must be #RRGGBB or #RRGGBBAA'),
  width: z.number().positive('width must be more than 0').max(1000, 'width is at most 1000').describe('Line thickness, in the same units as the points'),
});

export const drawingSchema = z
  .strictObject({
    strokes: z.array(strokeSchema).min(1, 'A drawing needs at least one stroke').max(MAX_STROKES, `A drawing has at most ${MAX_STROKES} strokes`),
  })
  .refine((d) => d.strokes.reduce((n, s) => n + s.points.length, 0) <= MAX_DRAWING_POINTS, {
    message: `A drawing has at most ${MAX_DRAWING_POINTS} points in all`,
  })
  .describe(`Vector markup: strokes of points in the same coordinates as position; at most ${MAX_STROKES} strokes and ${MAX_DRAWING_POINTS} points`);

const contentSchema = z.string().trim().max(MAX_CONTENT_LENGTH, `content is at most ${MAX_CONTENT_LENGTH} characters`);
const timestampSchema = z.number({ message: 'timestamp must be a number of seconds' }).min(0, 'timestamp must be 0 or more').describe('Seconds from the start of the media');
const frameNumberSchema = z.number({ message: 'frame_number must be a whole number' }).int('frame_number must be a whole number').min(0, 'frame_number must be 0 or more');

/** What each type needs: a note says something, a markup marks a region. */
export function typeRuleIssues(a: { annotation_type: AnnotationType; content: string; position?: unknown; drawing?: unknown }): FieldIssue[] {
  if (a.annotation_type === 'note' && a.content === '') return [{ field: 'content', issue: 'A note needs content' }];
  if (a.annotation_type === 'markup' && !a.position && !a.drawing) return [{ field: 'position', issue: 'A markup needs a position or a drawing' }];
  return [];
}

export const createAnnotationBody = z
  .strictObject({
    media_id: docIdSchema('Media'),
    annotation_type: annotationTypeSchema,
    content: contentSchema.default(''),
    position: positionSchema.optional(),
    timestamp: timestampSchema.optional(),
    frame_number: frameNumberSchema.optional(),
    drawing: drawingSchema.optional(),
    parent_id: docIdSchema('Annotation').optional().describe('Reply to this annotation (the first of a thread, on the same media)'),
  })
  .superRefine((body, ctx) => {
    for (const i of typeRuleIssues(body)) ctx.addIssue({ code: 'custom', path: [i.field], message: i.issue });
  });

export const updateAnnotationBody = z
  .strictObject({
    annotation_type: annotationTypeSchema.optional(),
    content: contentSchema.optional(),
    position: positionSchema.nullable().optional(),
    timestamp: timestampSchema.nullable().optional(),
    frame_number: frameNumberSchema.nullable().optional(),
    drawing: drawingSchema.nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'Give at least one of annotation_type, content, position, timestamp, frame_number, drawing' })
  .describe('Fields to change; null clears position, drawing, timestamp or frame_number. The media, thread, author and status do not change here.');

export const annotationParams = z.strictObject({ annotation_id: docIdSchema('Annotation') });

export const listAnnotationsQuery = z
  .strictObject({
    media_id: docIdSchema('Media').optional().describe('Annotations of this media (needs read on its project)'),
    project_id: projectIdSchema.optional().describe('Annotations of this project (needs read on it)'),
    author: uidSchema.optional().describe('Author uid'),
    annotation_type: annotationTypeSchema.optional(),
    status: annotationStatusSchema.optional().describe('Default: active and resolved (archived hidden)'),
    frame_number: z.coerce.number({ message: 'frame_number must be a whole number' }).int('frame_number must be a whole number').min(0).optional(),
    parent_id: docIdSchema('Annotation').optional().describe("A thread's replies"),
    include_archived: booleanParam.optional().describe('Also list archived annotations when no status is given'),
    ...paginationQuery,
  })
  .refine((q) => q.media_id !== undefined || q.project_id !== undefined, { message: 'Give media_id or project_id: annotations are listed per media or per project', path: ['media_id'] });

const timestampOut = z.string().meta({ format: 'date-time' });

export const annotationResponse = z.object({
  id: z.string(),
  media_id: z.string(),
  project_id: z.string(),
  author: z.string().describe('uid of the caller who created it'),
  author_name: z.string().nullable(),
  annotation_type: annotationTypeSchema,
  content: z.string(),
  position: positionSchema.nullable(),
  drawing: z.object({ strokes: z.array(strokeSchema) }).nullable(),
  coordinates: z.enum(['pixels']).describe('Units of position and drawing: always pixels'),
  timestamp: z.number().nullable(),
  frame_number: z.number().int().nullable(),
  parent_id: z.string().nullable(),
  reply_count: z.number().int().describe('Live (not archived) replies; 0 on replies'),
  status: annotationStatusSchema,
  resolved_by: z.string().nullable(),
  resolved_at: timestampOut.nullable(),
  reopened_by: z.string().nullable(),
  reopened_at: timestampOut.nullable(),
  archived_by: z.string().nullable(),
  archived_at: timestampOut.nullable(),
  created_at: timestampOut,
  updated_at: timestampOut,
  updated_by: z.string(),
});

export type AnnotationJson = z.infer<typeof annotationResponse>;
export type CreateAnnotation = z.output<typeof createAnnotationBody>;
export type UpdateAnnotation = z.output<typeof updateAnnotationBody>;
export type ListAnnotationsQuery = z.output<typeof listAnnotationsQuery>;
