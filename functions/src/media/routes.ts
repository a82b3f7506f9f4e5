import { z } from 'zod';
import type { AppConfig } from '../config/app-config.js';
import { pageSchema } from '../http/pagination.js';
import { created, defineRoute, noContent, ok } from '../http/route.js';
import { API_PREFIX } from '../lib/api-prefix.js';
import type { FileConditions, MediaFiles } from './download.js';
import { approveBody, approveResponse, fileQuery, listQuery, mediaParams, mediaResponse, thumbnailQuery, updateBody, uploadFields, uploadUrlBody, uploadUrlResponse } from './schemas.js';
import type { MediaService } from './service.js';
import { inlineUploadLimits, type MediaUploads } from './uploads.js';

const tags = ['Media'];
const location = (id: string) => ({ Location: `${API_PREFIX}/media/${id}` });
const conditions = (req: { get(name: string): string | undefined }): FileConditions => ({ range: req.get('range'), ifRange: req.get('if-range'), ifNoneMatch: req.get('if-none-match') });
const fileResponses = (what: string) => ({
  200: { description: what, contentType: 'application/octet-stream', schema: z.string().meta({ format: 'binary' }) },
  206: { description: `Part of the ${what.toLowerCase()} (Range)` },
  302: { description: 'With redirect=true: Location is a short-lived signed URL' },
  304: { description: 'Unchanged since If-None-Match' },
  416: { description: 'Range not satisfiable (Content-Range: bytes */size)' },
  422: { description: 'The file has not finished uploading' },
});

/** Media routes, literal paths before `{media_id}` ones. */
/** The media domain's services, built once when the domain loads (app.ts). */
export interface MediaServices {
  service: MediaService;
  uploads: MediaUploads;
  files: MediaFiles;
}

export function mediaRoutes({ service, uploads, files }: MediaServices, config: AppConfig) {
  return [
    defineRoute({
      method: 'get',
      path: '/media',
      summary: 'List media with filters (planned wrapper)',
      description: 'Newest first. Without project_id, lists the projects the caller may read. `tags` matches media carrying any of the given tags.',
      tags,
      query: listQuery,
      responses: { 200: { description: 'A page of media', schema: pageSchema(mediaResponse) } },
      handler: async ({ caller, query }) => ok(await service.list(caller, query)),
    }),
    defineRoute({
      method: 'post',
      path: '/media',
      summary: 'Upload a media file (multipart) linked to a task version',
      description:
        'Stores the file at media/{project_id}/{task_id}/{version}/{file_name} with its record (author: the caller). Thumbnails and image metadata are filled in shortly after by the Storage trigger (thumbnail_status). Files above 31 MiB use POST /media/upload-url.',
      tags,
      multipart: {
        fields: uploadFields,
        file: { name: 'file', description: 'The media file', missing: 'file is required (a multipart part named "file")' },
        limits: inlineUploadLimits(config),
      },
      responses: {
        201: { description: 'The new media record', schema: mediaResponse },
        409: { description: 'A file already exists at this task, version and file name' },
        413: { description: 'The file is larger than allowed' },
        422: { description: 'The project or task is archived' },
      },
      handler: async ({ caller, form }) => {
        const media = await uploads.upload(caller, form.fields, form.file);
        return created(media, location(media.id));
      },
    }),
    defineRoute({
      method: 'post',
      path: '/media/upload-url',
      summary: 'Start a direct upload of a large file (up to MAX_FILE_SIZE) to Cloud Storage',
      description:
        'Creates a pending_upload record and returns a resumable upload session URI for the same storage key. PUT the bytes to upload_url with upload_headers; when the object lands, the Storage trigger completes the record (status active, metadata, thumbnails).',
      tags,
      body: uploadUrlBody,
      responses: {
        201: { description: 'The pending record and where to upload', schema: uploadUrlResponse },
        409: { description: 'A file already exists at this task, version and file name' },
        413: { description: 'file_size is larger than allowed' },
        422: { description: 'The project or task is archived' },
      },
      handler: async ({ caller, body, req }) => {
        const reply = await uploads.uploadUrl(caller, body, req.get('origin'));
        return created(reply, location(reply.media.id));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/media/{media_id}',
      summary: 'Get a media record with its metadata',
      tags,
      params: mediaParams,
      responses: { 200: { description: 'The media record (ETag header)', schema: mediaResponse } },
      handler: async ({ caller, params }) => {
        const { media, etag } = await service.get(caller, params.media_id);
        return ok(media, { ETag: etag });
      },
    }),
    defineRoute({
      method: 'put',
      path: '/media/{media_id}',
      summary: 'Update description, tags or editable metadata (color space, frame rate, creation date)',
      description: 'Changes only the fields given. If-Match with the ETag from a GET makes the update conditional (412 when stale).',
      tags,
      params: mediaParams,
      body: updateBody,
      responses: {
        200: { description: 'The updated record (ETag header)', schema: mediaResponse },
        412: { description: 'If-Match is stale' },
        422: { description: 'The project is archived' },
      },
      handler: async ({ caller, params, body, req }) => {
        const { media, etag } = await service.update(caller, params.media_id, body, req.get('if-match'));
        return ok(media, { ETag: etag });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/media/{media_id}',
      summary: 'Delete a media record, its file, its thumbnails and its annotations',
      tags,
      params: mediaParams,
      responses: { 204: { description: 'Deleted' }, 422: { description: 'The project is archived' } },
      handler: async ({ caller, params }) => {
        await service.remove(caller, params.media_id);
        return noContent();
      },
    }),
    defineRoute({
      method: 'get',
      path: '/media/{media_id}/download',
      summary: 'Download the media file (supports Range), or redirect to a signed URL',
      tags,
      params: mediaParams,
      query: fileQuery,
      responses: fileResponses('The file'),
      handler: async ({ caller, params, query, req }) => files.download(caller, params.media_id, query.redirect, conditions(req)),
    }),
    defineRoute({
      method: 'get',
      path: '/media/{media_id}/thumbnail',
      summary: 'Get the media thumbnail (512 px, or 128 px with size=small)',
      tags,
      params: mediaParams,
      query: thumbnailQuery,
      responses: { ...fileResponses('The thumbnail image'), 404: { description: 'No thumbnail (yet, or the format has none): see thumbnail_status' } },
      handler: async ({ caller, params, query, req }) => files.thumbnail(caller, params.media_id, query.size, query.redirect, conditions(req)),
    }),
    defineRoute({
      method: 'post',
      path: '/media/{media_id}/approve',
      summary: 'Approve or reject media; the linked task follows the Media Review Workflow',
      description:
        'Records the review (reviewer: the caller) in approval_history. approved moves a pending_review task to approved; rejected moves the task to needs_revision. Needs review permission on the project (project admins have it), and is refused on the caller\'s own upload unless the project sets allow_self_review.',
      tags,
      params: mediaParams,
      body: approveBody,
      responses: {
        200: { description: 'The reviewed record and the linked task status', schema: approveResponse },
        412: { description: 'If-Match is stale' },
        422: { description: 'The project is archived or the file has not finished uploading' },
      },
      handler: async ({ caller, params, body, req }) => {
        const { media, etag } = await service.review(caller, params.media_id, body, req.get('if-match'));
        return ok(media, { ETag: etag });
      },
    }),
  ];
}
