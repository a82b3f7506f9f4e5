// Builds the OpenAPI 3.1 document from the route declarations and their zod schemas.
import { z } from 'zod';
import { API_PREFIX } from '../lib/api-prefix.js';
import { ERROR_STATUS } from './errors.js';
import type { MultipartBody } from './multipart.js';
import { bodyType, type AnyRoute } from './route.js';

export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS]),
      message: z.string(),
      details: z.unknown().describe('More about the failure (e.g. each bad field), or null where there is nothing to add'),
      timestamp: z.string().meta({ format: 'date-time' }),
      request_id: z.string(),
    }),
  })
  .describe("The spec's error envelope, returned for every failure.");

/**
 * Schemas that cannot be inlined (recursive ones, like JSON custom-field values) come out of zod with
 * `$defs` and `#/$defs/...` references, which resolve against the schema's own root. Embedded in the
 * document they would resolve against the document's (ReDoc fails on them), so every definition
 * moves to `components.schemas` and its references follow it.
 */
function hoistDefinitions(schema: Record<string, unknown>, components: Record<string, unknown>): Record<string, unknown> {
  const { $defs, ...rest } = schema as { $defs?: Record<string, unknown> };
  const rename = new Map<string, string>();
  for (const [name, definition] of Object.entries($defs ?? {})) {
    const json = JSON.stringify(definition);
    let target = name;
    for (let n = 2; target in components && JSON.stringify(components[target]) !== json; n++) target = `${name}${n}`;
    rename.set(name, target);
  }
  const relink = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(relink);
    if (!value || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => {
        const local = key === '$ref' && typeof v === 'string' ? /^#\/\$defs\/(.+)$/.exec(v) : null;
        return [key, local ? `#/components/schemas/${rename.get(local[1]!) ?? local[1]}` : relink(v)];
      }),
    );
  };
  for (const [name, definition] of Object.entries($defs ?? {})) components[rename.get(name)!] = relink(definition);
  return relink(rest) as Record<string, unknown>;
}

const toJsonSchema = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', reused: 'inline' }) as Record<string, unknown>;

function parametersOf(jsonSchema: JsonSchemaOf, schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: where, required: where === 'path' || (json.required ?? []).includes(name), description, schema: rest };
  });
}

/** A multipart body as documented: its fields, then the file part. */
const formSchema = ({ fields, file }: MultipartBody) => fields.extend({ [file.name]: z.string().meta({ format: 'binary' }).describe(file.description) });

const COMMON_ERRORS: Record<number, string> = {
  400: 'Invalid input (VALIDATION_ERROR); details name each bad field',
  401: 'Missing, malformed, expired or revoked token (UNAUTHENTICATED)',
  403: 'The caller lacks the permission (PERMISSION_DENIED)',
  404: 'Not found, or not visible to the caller (NOT_FOUND)',
  429: 'Too many requests (RATE_LIMITED); see Retry-After',
};

/** How a body checked against stored data too (`refinesBody`) reports its problems. */
const REFINED_BODY = 'Every problem is reported at once in details.errors';

type JsonSchemaOf = (schema: z.ZodType, io: 'input' | 'output') => Record<string, unknown>;

export function buildOpenApiDocument(routes: AnyRoute[], info: { title: string; version: string; serverUrl?: string }) {
  const schemas: Record<string, unknown> = {};
  const jsonSchema: JsonSchemaOf = (schema, io) => hoistDefinitions(toJsonSchema(schema, io), schemas);
  schemas.ErrorEnvelope = jsonSchema(errorEnvelopeSchema, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, doc] of Object.entries(route.responses)) {
      responses[status] = {
        description: doc.description,
        ...(doc.schema ? { content: { [doc.contentType ?? 'application/json']: { schema: jsonSchema(doc.schema, 'output') } } } : {}),
      };
    }
    for (const [status, description] of Object.entries(COMMON_ERRORS)) {
      if (route.public && (status === '401' || status === '403')) continue;
      responses[status] ??= { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } } };
    }
    const contentType = bodyType(route);
    if (contentType) responses['415'] ??= { description: `The body is not ${contentType} (UNSUPPORTED_MEDIA_TYPE)`, content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } } };
    const bodySchema = route.body ?? (route.multipart ? formSchema(route.multipart) : undefined);
    const requestBody = contentType && bodySchema ? { required: true, description: route.refinesBody ? REFINED_BODY : undefined, content: { [contentType]: { schema: jsonSchema(bodySchema, 'input') } } } : undefined;
    const fullPath = `${API_PREFIX}${route.path}`;
    paths[fullPath] ??= {};
    paths[fullPath][route.method] = {
      operationId: operationId(route),
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      security: route.public ? [] : [{ bearerAuth: [] }],
      parameters: [...parametersOf(jsonSchema, route.params, 'path'), ...parametersOf(jsonSchema, route.query, 'query')],
      ...(requestBody ? { requestBody } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: 'Montu Manager REST API v2.1 on Firebase.' },
    servers: [{ url: info.serverUrl ?? '/' }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'Firebase ID token' } },
      schemas,
    },
    paths,
  };
}

function operationId(route: AnyRoute): string {
  const words = route.path
    .split('/')
    .filter(Boolean)
    .map((part) => part.replace(/[{}]/g, '').replace(/[-_](\w)/g, (_m, c: string) => c.toUpperCase()));
  return [route.method, ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}
