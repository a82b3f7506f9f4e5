import { pageSchema } from '../http/pagination.js';
import { created, defineRoute, noContent, ok } from '../http/route.js';
import { FRAME_CONVENTION, POSITION_CONVENTION } from './placement.js';
import { MAX_REPLIES, annotationParams, annotationResponse, createAnnotationBody, listAnnotationsQuery, updateAnnotationBody } from './schemas.js';
import { AnnotationService, type Versioned } from './service.js';

const tags = ['Annotations & review'];
const IF_MATCH = 'Send `If-Match` with the ETag from a previous response to refuse the change (412) if someone else changed the annotation since.';
const withEtag = ({ annotation, etag }: Versioned) => [annotation, { ETag: etag }] as const;

export function annotationRoutes(service: AnnotationService) {
  return [
    defineRoute({
      method: 'get',
      path: '/annotations',
      summary: 'List annotations of a media or a project, by frame then creation time',
      description:
        'Give media_id or project_id (400 otherwise); the caller needs read on that project. Sorted by frame_number (annotations without a ' +
        'frame first), then creation time. Archived annotations are hidden unless status=archived or include_archived=true.',
      tags,
      query: listAnnotationsQuery,
      responses: { 200: { description: 'A page of annotations', schema: pageSchema(annotationResponse) } },
      handler: async ({ caller, query }) => ok(await service.list(caller, query)),
    }),
    defineRoute({
      method: 'post',
      path: '/annotations',
      summary: 'Annotate a media: a note, a markup or an approval, optionally as a reply in a thread',
      description: [
        'Needs write on the media\'s project. The author is the caller and project_id comes from the media. A note needs content; a markup ' +
          `needs a position or a drawing. parent_id makes a reply: the parent must be the first annotation of a thread on the same media (at most ${MAX_REPLIES} replies). ` +
          'Archived or still-uploading media and archived projects take no annotations (422). Creating updates the media\'s total_annotations ' +
          'and (for a thread\'s first annotation) open_annotations in the same transaction.',
        POSITION_CONVENTION,
        FRAME_CONVENTION,
      ].join('\n\n'),
      tags,
      body: createAnnotationBody,
      responses: {
        201: { description: 'The annotation (ETag header)', schema: annotationResponse },
        422: { description: 'Outside the picture or the frame range, timestamp and frame disagree, bad parent, or archived media/project' },
      },
      handler: async ({ caller, body }) => created(...withEtag(await service.create(caller, body))),
    }),
    defineRoute({
      method: 'get',
      path: '/annotations/{annotation_id}',
      summary: 'One annotation, with its ETag',
      tags,
      params: annotationParams,
      responses: { 200: { description: 'The annotation (ETag header)', schema: annotationResponse } },
      handler: async ({ caller, params }) => ok(...withEtag(await service.get(caller, params.annotation_id))),
    }),
    defineRoute({
      method: 'put',
      path: '/annotations/{annotation_id}',
      summary: 'Edit an annotation (its author or a project admin)',
      description: `Changes only the fields given, then checks the whole annotation again by the rules of POST. ${IF_MATCH}\n\n${FRAME_CONVENTION}`,
      tags,
      params: annotationParams,
      body: updateAnnotationBody,
      responses: {
        200: { description: 'The annotation (ETag header)', schema: annotationResponse },
        412: { description: 'If-Match is stale' },
        422: { description: 'Archived annotation, media or project, or the new placement breaks a rule' },
      },
      handler: async ({ caller, params, body, req }) => ok(...withEtag(await service.update(caller, params.annotation_id, body, req.get('if-match')))),
    }),
    defineRoute({
      method: 'delete',
      path: '/annotations/{annotation_id}',
      summary: "Archive an annotation (its author or a project admin); a thread's first annotation takes its replies with it",
      description: `Soft delete: status becomes archived, recording archived_by and archived_at; the media's counters follow. Archiving an archived annotation changes nothing. ${IF_MATCH}`,
      tags,
      params: annotationParams,
      responses: { 204: { description: 'Archived' }, 412: { description: 'If-Match is stale' }, 422: { description: 'Archived media or project' } },
      handler: async ({ caller, params, req }) => {
        await service.archive(caller, params.annotation_id, req.get('if-match'));
        return noContent();
      },
    }),
    defineRoute({
      method: 'post',
      path: '/annotations/{annotation_id}/resolve',
      summary: 'Resolve a thread (members with write), recording who and when',
      description: `Threads are resolved through their first annotation: replies cannot be resolved on their own and keep status active. ${IF_MATCH}`,
      tags,
      params: annotationParams,
      responses: {
        200: { description: 'The resolved annotation (ETag header)', schema: annotationResponse },
        409: { description: 'Already resolved' },
        412: { description: 'If-Match is stale' },
        422: { description: 'A reply, an archived annotation, or archived media/project' },
      },
      handler: async ({ caller, params, req }) => ok(...withEtag(await service.resolve(caller, params.annotation_id, req.get('if-match')))),
    }),
    defineRoute({
      method: 'post',
      path: '/annotations/{annotation_id}/reopen',
      summary: 'Reopen a resolved thread (members with write), recording who and when',
      description: IF_MATCH,
      tags,
      params: annotationParams,
      responses: {
        200: { description: 'The reopened annotation (ETag header)', schema: annotationResponse },
        409: { description: 'Already open' },
        412: { description: 'If-Match is stale' },
        422: { description: 'A reply, an archived annotation, or archived media/project' },
      },
      handler: async ({ caller, params, req }) => ok(...withEtag(await service.reopen(caller, params.annotation_id, req.get('if-match')))),
    }),
  ];
}
