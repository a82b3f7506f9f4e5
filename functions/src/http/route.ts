// Route declarations: one object per endpoint carries its zod schemas, its OpenAPI description and
// its handler. The router validates with the same schemas the OpenAPI document is built from.
import type { NextFunction, Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Caller } from '../auth/caller.js';
import { ApiError, validationError } from './errors.js';
import { parseBody, parseOrThrow, type BodyParse } from './validate.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  caller: Caller;
  req: Request;
  res: Response;
}

/** What a handler returns; `undefined` means it wrote the response itself (streams, redirects). */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
/** What the handler gets as `body`: the parsed body, or with `refinesBody` the parse result. */
type BodyOf<B, R> = R extends true ? BodyParse<Out<B>> : Out<B>;

export interface RouteDefinition<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  R extends boolean = false,
> {
  method: HttpMethod;
  /** OpenAPI path template below /api/v1, e.g. `/tasks/{task_id}`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Public routes skip authentication; everything else needs a verified Firebase ID token. */
  public?: boolean;
  params?: P;
  query?: Q;
  /** A JSON body, validated before the handler runs. */
  body?: B;
  /**
   * The body is checked further against stored data (a task against its project's configuration):
   * the handler gets the schema's result, problems included, and its service reports them together
   * with its own in one 400 (`invalidInput`).
   */
  refinesBody?: R;
  /** A body the handler parses itself (multipart); documented from `schema`. */
  rawBody?: { contentType: string; schema: z.ZodType; description?: string };
  responses: Record<number, ResponseDoc>;
  handler: (ctx: RouteContext<Out<P>, Out<Q>, BodyOf<B, R>>) => Promise<Reply | undefined>;
}

// The router stores routes with their generics erased; `defineRoute` keeps them checked at the declaration.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDefinition<any, any, any, any>;

export function defineRoute<P extends Schema | undefined = undefined, Q extends Schema | undefined = undefined, B extends Schema | undefined = undefined, R extends boolean = false>(
  route: RouteDefinition<P, Q, B, R>,
): AnyRoute {
  return route as AnyRoute;
}

export const ok = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 200, body, headers });
export const created = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 201, body, headers });
export const noContent = (): Reply => ({ status: 204 });

/** `/tasks/{task_id}` → `/tasks/:task_id` */
export const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

export type Authenticate = (req: Request) => Promise<Caller>;
export type AfterAuthenticate = (caller: Caller, req: Request, res: Response) => void | Promise<void>;

/** `Application/JSON; charset=utf-8` → `application/json` (a missing header stays undefined: no body was sent). */
const mediaType = (header: string | undefined) => header?.split(';')[0]!.trim().toLowerCase();

function unsupportedMediaType(accepts: string, given: string): ApiError {
  return new ApiError('UNSUPPORTED_MEDIA_TYPE', `This route takes ${accepts}, not ${given.slice(0, 100) || 'an empty Content-Type'}`, { field: 'Content-Type', issue: `expected ${accepts}` });
}

/** Mounts every route on `router`, in declaration order (specific paths before `{id}` ones). */
export function mountRoutes(router: Router, routes: AnyRoute[], authenticate: Authenticate, afterAuthenticate?: AfterAuthenticate): void {
  for (const route of routes) {
    router[route.method](expressPath(route.path), async (req: Request, res: Response, next: NextFunction) => {
      try {
        const caller = route.public ? (undefined as unknown as Caller) : await authenticate(req);
        if (!route.public && afterAuthenticate) await afterAuthenticate(caller, req, res);
        const params = route.params ? parseOrThrow(route.params, req.params, 'path') : undefined;
        const query = route.query ? parseOrThrow(route.query, req.query ?? {}, 'query') : undefined;
        const accepts = route.body !== undefined ? 'application/json' : route.rawBody?.contentType;
        // The Functions runtime parses urlencoded and text bodies too: the declared type decides, not whether a body was parsed.
        const given = mediaType(req.get('content-type'));
        if (accepts && given !== undefined && given !== accepts) throw unsupportedMediaType(accepts, given);
        if (accepts === 'application/json' && req.body === undefined) throw validationError('Request body must be JSON (Content-Type: application/json)');
        const body = !route.body ? undefined : route.refinesBody ? parseBody(route.body, req.body) : parseOrThrow(route.body, req.body, 'body');
        const reply = await route.handler({ params, query, body, caller, req, res });
        if (!reply || res.headersSent) return;
        if (reply.headers) res.set(reply.headers);
        if (reply.body === undefined) res.status(reply.status).end();
        else res.status(reply.status).json(reply.body);
      } catch (err) {
        next(err);
      }
    });
  }
}
