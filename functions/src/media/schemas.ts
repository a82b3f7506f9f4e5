import { z } from 'zod';
import { paginationQuery } from '../http/pagination.js';
import { booleanParam, listParam } from '../http/query.js';
import { docIdSchema, projectIdSchema, taskProjectParam, uidSchema } from '../lib/ids.js';
import { MEDIA_TYPES, THUMBNAIL_SIZES } from './files.js';

export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected'] as const;
export const REVIEW_DECISIONS = ['approved', 'rejected'] as const;
export const MEDIA_STATUSES = ['active', 'pending_upload', 'archived'] as const;
export const THUMBNAIL_STATUSES = ['pending', 'ready', 'unsupported', 'failed'] as const;

export const mediaIdSchema = docIdSchema('Media');
export const taskIdSchema = docIdSchema('Task');

export const versionSchema = z
  .string()
  .regex(/^v\d{3,6}$/, 'version must be v followed by 3 to 6 digits, e.g. v001')
  .describe('Version, e.g. v001');

/** A file name becomes the last segment of a Storage key: no paths, no control characters, no leading dot. */
export const fileNameSchema = z
  .string()
  .min(1, 'file name is required')
  .max(200, 'file name is at most 200 characters')
  .regex(/^[A-Za-z0-9_][A-Za-z0-9 _.()+-]*$/, 'file name may only contain letters, digits, spaces and _ . ( ) + -, and must start with a letter, digit or _')
  .refine((name) => !name.includes('..'), "file name may not contain '..'")
  .refine((name) => /\.[A-Za-z0-9]+$/.test(name), 'file name needs an extension, e.g. .exr')
  .describe('File name with extension, e.g. lighting_beauty_v001.exr');

export const tagSchema = z
  .string()
  .trim()
  .min(1, 'tags may not be empty')
  .max(50, 'a tag is at most 50 characters')
  .regex(/^[^,]+$/, 'a tag may not contain a comma');

const tagList = z
  .array(tagSchema)
  .max(20, 'at most 20 tags')
  .transform((tags) => [...new Set(tags)]);

const description = z.string().max(2000, 'description is at most 2000 characters');

/** Multipart fields of `POST /media` (besides the file); `tags` arrive comma-separated (or as repeated fields). */
export const uploadFields = z.strictObject({
  task_id: taskIdSchema,
  project_id: taskProjectParam,
  version: versionSchema.default('v001'),
  description: description.default(''),
  tags: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(tagList)
    .default([])
    .describe('Comma-separated tags, or the field repeated'),
});

export const uploadUrlBody = z.strictObject({
  task_id: taskIdSchema,
  project_id: taskProjectParam,
  file_name: fileNameSchema,
  file_size: z.number().int('file_size must be a whole number of bytes').positive('file_size must be positive').describe('Size of the file to upload, bytes'),
  content_type: z
    .string()
    .regex(/^[\w.+-]+\/[\w.+-]+$/, 'content_type must be a MIME type such as image/png')
    .optional()
    .describe("The file's MIME type as the uploading client sees it; it must be the type of file_name's extension (application/octet-stream, what clients send for types they do not know, is taken as unspecified). The upload's Content-Type is the one in upload_headers."),
  version: versionSchema.default('v001'),
  description: description.default(''),
  tags: tagList.default([]),
});

export const mediaParams = z.strictObject({ media_id: mediaIdSchema });

export const listQuery = z.strictObject({
  ...paginationQuery,
  project_id: projectIdSchema.optional(),
  task_id: taskIdSchema.optional().describe('Linked task id'),
  file_type: z
    .string()
    .regex(/^\.?[A-Za-z0-9]{1,10}$/, 'file_type must be an extension such as exr or .exr')
    .transform((t) => `.${t.replace(/^\./, '').toLowerCase()}`)
    .optional()
    .describe('File extension, e.g. exr or .exr'),
  media_type: z.enum(MEDIA_TYPES).optional(),
  author: uidSchema.optional().describe('Uploader uid'),
  approval_status: z.enum(APPROVAL_STATUSES).optional(),
  tags: listParam(tagSchema).optional().describe('Comma-separated; media carrying any of them'),
  version: versionSchema.optional(),
  status: z.enum(MEDIA_STATUSES).default('active').describe('Record status (default active: uploads still in flight are pending_upload)'),
});

export const updateBody = z
  .strictObject({
    description: description.optional(),
    tags: tagList.optional(),
    metadata: z
      .strictObject({
        color_space: z.string().trim().min(1).max(64).nullable().optional(),
        frame_rate: z.number().positive('frame_rate must be positive').max(1000).nullable().optional(),
        creation_date: z.iso.datetime({ offset: true, message: 'creation_date must be an ISO-8601 date-time' }).nullable().optional(),
      })
      .optional()
      .describe('Facts the trigger cannot read from the file; size, dimensions, format and checksum come from the file itself'),
  })
  .refine((b) => b.description !== undefined || b.tags !== undefined || (b.metadata !== undefined && Object.keys(b.metadata).length > 0), {
    message: 'Give at least one of description, tags or metadata',
  });

export const approveBody = z.strictObject({
  approval_status: z.enum(REVIEW_DECISIONS),
  reviewer: z.string().max(320).optional().describe('Always the caller; when given it must be your uid or email'),
  review_notes: z.string().max(4000, 'review_notes is at most 4000 characters').default(''),
});

export const fileQuery = z.strictObject({
  redirect: booleanParam.default(false).describe('Answer 302 to a short-lived signed URL instead of streaming'),
});

export const thumbnailQuery = z.strictObject({
  redirect: booleanParam.default(false).describe('Answer 302 to a short-lived signed URL instead of streaming'),
  size: z.enum(THUMBNAIL_SIZES).default('large').describe('large (512 px) or small (128 px)'),
});

const approvalEntry = z.object({
  approval_status: z.enum(REVIEW_DECISIONS),
  reviewer: z.string(),
  review_notes: z.string(),
  reviewed_at: z.string(),
});

export const mediaResponse = z.object({
  id: z.string(),
  project_id: z.string(),
  linked_task_id: z.string(),
  linked_version: z.string(),
  author: z.string(),
  file_name: z.string(),
  media_type: z.enum(MEDIA_TYPES),
  file_extension: z.string(),
  content_type: z.string(),
  storage_key: z.string(),
  storage_url: z.string().describe('API path that streams the file'),
  thumbnail_key: z.string().nullable(),
  thumbnail_small_key: z.string().nullable(),
  thumbnail_status: z.enum(THUMBNAIL_STATUSES),
  thumbnail_error: z.string().nullable(),
  description: z.string(),
  tags: z.array(z.string()),
  metadata: z.object({
    file_size: z.number().nullable(),
    width: z.number().nullable(),
    height: z.number().nullable(),
    format: z.string().nullable(),
    color_space: z.string().nullable(),
    has_alpha: z.boolean().nullable(),
    bit_depth: z.number().nullable(),
    checksum: z.string().nullable().describe('MD5 of the file, hex'),
    creation_date: z.string().nullable(),
    frame_rate: z.number().nullable(),
  }),
  approval_status: z.enum(APPROVAL_STATUSES),
  approval_history: z.array(approvalEntry),
  status: z.enum(MEDIA_STATUSES),
  file_error: z.string().nullable(),
  open_annotations: z.number().int(),
  total_annotations: z.number().int(),
  updated_by: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const approveResponse = mediaResponse.extend({
  linked_task: z
    .object({ id: z.string(), previous_status: z.string().nullable(), status: z.string().nullable() })
    .nullable()
    .describe("The linked task's status before and after the review (unchanged when the workflow does not move it; null when the task is gone)"),
});

export const uploadUrlResponse = z.object({
  media: mediaResponse,
  upload_url: z.string().describe('Resumable upload session URI: PUT the file bytes to it (in one request or in chunks with Content-Range)'),
  upload_method: z.literal('PUT'),
  upload_headers: z.record(z.string(), z.string()),
  expires_at: z.string(),
});
