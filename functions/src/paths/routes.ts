import { defineRoute, ok } from '../http/route.js';
import { generateBatchBody, generateBatchResponse, generateBody, generateResponse, validateQuery, validateResponse } from './schemas.js';
import type { PathsService } from './service.js';

const tags = ['Path Builder'];
const configErrors = "Unknown template or pattern, a missing value (details.missing names each placeholder), an unusable value, or the project's path configuration is invalid";

export function pathRoutes(service: PathsService) {
  return [
    defineRoute({
      method: 'post',
      path: '/paths/generate',
      summary: "Generate a file path from one of the project's templates and filename patterns",
      description:
        'Versions may be 3, "003" or "v003". A directory template (one without {filename}) given a filename_pattern gets the file name appended. Needs read permission on the project.',
      tags,
      body: generateBody,
      responses: { 200: { description: 'The path and its components', schema: generateResponse }, 422: { description: configErrors } },
      handler: async ({ caller, body }) => ok(await service.generate(caller, body)),
    }),
    defineRoute({
      method: 'post',
      path: '/paths/generate-batch',
      summary: 'Generate paths for up to 500 tasks with one template (and pattern) in one call',
      description: 'Each task answers for itself: a path and components, or an error naming the missing or bad placeholders. An unknown template or pattern fails the whole call.',
      tags,
      body: generateBatchBody,
      responses: { 200: { description: 'One result per task, in order', schema: generateBatchResponse }, 422: { description: 'Unknown template or pattern, or invalid project configuration' } },
      handler: async ({ caller, body }) => ok(await service.generateBatch(caller, body)),
    }),
    defineRoute({
      method: 'get',
      path: '/paths/validate',
      summary: "Check a path against the project's templates and patterns; parse its components",
      description: 'Answers 200 either way: valid with the template, pattern and components, or not valid with where the path stops matching the closest template.',
      tags,
      query: validateQuery,
      responses: { 200: { description: 'Whether the path is valid, and why', schema: validateResponse }, 422: { description: "The project's path configuration is invalid" } },
      handler: async ({ caller, query }) => ok(await service.validate(caller, query.project_id, query.path)),
    }),
  ];
}
