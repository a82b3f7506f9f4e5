// Route declarations: one object per endpoint carries its zod schemas, its OpenAPI description and
// its handler. The router validates with the same schemas the OpenAPI document is built from.
import { pipeline } from 'node:stream/promises';
import type { NextFunction, Request, Response, Router } from 'express';
import * as logger from 'firebase-functions/logger';
import { z } from 'zod';
import type { Caller } from '../auth/caller.js';
import { serverTimingHeader, step, timedRequest } from '../lib/timing.js';
import { ApiError, validationError } from './errors.js';
import { readForm, type Form, type MultipartBody } from './multipart.js';
import type { Reply } from './reply.js';
import { parseBody, parseOrThrow, type BodyParse } from './validate.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

export interface RouteContext<P, Q, B, M> {
  params: P;
  query: Q;
  body: B;
  /** A multipart route's fields and file. */
  form: M;
  caller: Caller;
  /** For request headers; the handler answers with its return value, never by writing a response. */
  req: Request;
}

type Schema = z.ZodType;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
type FormOf<M> = M extends z.ZodObject ? Form<z.output<M>> : undefined;
/** What the handler gets as `body`: the parsed body, or with `refinesBody` the parse result. */
type BodyOf<B, R> = R extends true ? BodyParse<Out<B>> : Out<B>;

export interface RouteDefinition<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  M extends z.ZodObject | undefined = undefined,
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
  /** A multipart/form-data body, read and validated before the handler runs (handed over as `form`). */
  multipart?: MultipartBody<NonNullable<M>>;
  /**
   * The body is checked further against stored data (a task against its project's configuration):
   * the handler gets the schema's result, problems included, and its service reports them together
   * with its own in one 400 (`invalidInput`).
   */
  refinesBody?: R;
  responses: Record<number, ResponseDoc>;
  handler: (ctx: RouteContext<Out<P>, Out<Q>, BodyOf<B, R>, FormOf<M>>) => Promise<Reply>;
}

// The router stores routes with their generics erased; `defineRoute` keeps them checked at the declaration.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDefinition<any, any, any, any, any>;

export function defineRoute<
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  M extends z.ZodObject | undefined = undefined,
  R extends boolean = false,
>(route: RouteDefinition<P, Q, B, M, R>): AnyRoute {
  return route as AnyRoute;
}

/** The content type a route's body must have, if it takes one. */
export const bodyType = (route: AnyRoute): string | undefined =>
  route.body !== undefined ? 'application/json' : route.multipart ? 'multipart/form-data' : undefined;

export const ok = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 200, body, headers });
export const created = (body: unknown, headers?: Record<string, string>): Reply => ({ status: 201, body, headers });
export const noContent = (): Reply => ({ status: 204 });

/** `/tasks/{task_id}` → `/tasks/:task_id` */
export const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** The caller, and whether their user record came from the instance's cache (auth/sessions.ts). */
export interface Authenticated {
  caller: Caller;
  cached: boolean;
}
/** `fresh`: read the user record again, whatever the cache holds. */
export type Authenticate = (req: Request, fresh?: boolean) => Promise<Authenticated>;
export type AfterAuthenticate = (caller: Caller, req: Request, res: Response) => void | Promise<void>;

/** `Application/JSON; charset=utf-8` → `application/json` (a missing header stays undefined: no body was sent). */
const mediaType = (header: string | undefined) => header?.split(';')[0]!.trim().toLowerCase();

function unsupportedMediaType(accepts: string, given: string): ApiError {
  return new ApiError('UNSUPPORTED_MEDIA_TYPE', `This route takes ${accepts}, not ${given.slice(0, 100) || 'an empty Content-Type'}`, { field: 'Content-Type', issue: `expected ${accepts}` });
}

export interface MountOptions {
  afterAuthenticate?: AfterAuthenticate;
  /** Answer with a Server-Timing header of the request's steps (config.serverTiming). */
  serverTiming?: boolean;
}

/** Mounts every route on `router`, in declaration order (specific paths before `{id}` ones). */
export function mountRoutes(router: Router, routes: AnyRoute[], authenticate: Authenticate, options: MountOptions = {}): void {
  const { afterAuthenticate, serverTiming } = options;
  for (const route of routes) {
    const handle = async (req: Request, res: Response, next: NextFunction) => {
      try {
        const signedIn = route.public ? undefined : await step('auth', () => authenticate(req));
        const caller = signedIn?.caller ?? (undefined as unknown as Caller);
        if (!route.public && afterAuthenticate) await step('rate', () => afterAuthenticate(caller, req, res));
        const params = route.params ? parseOrThrow(route.params, req.params, 'path') : undefined;
        const query = route.query ? parseOrThrow(route.query, req.query ?? {}, 'query') : undefined;
        const accepts = bodyType(route);
        // The Functions runtime parses urlencoded and text bodies too: the declared type decides, not whether a body was parsed.
        const given = mediaType(req.get('content-type'));
        if (accepts && given !== undefined && given !== accepts) throw unsupportedMediaType(accepts, given);
        if (accepts === 'application/json' && req.body === undefined) throw validationError('Request body must be JSON (Content-Type: application/json)');
        const body = !route.body ? undefined : route.refinesBody ? parseBody(route.body, req.body) : parseOrThrow(route.body, req.body, 'body');
        const form = route.multipart ? await readForm(req, route.multipart) : undefined;
        const run = (as: Caller) => step('handler', () => route.handler({ params, query, body, form, caller: as, req }));
        const reply = await run(caller).catch(async (err: unknown) => {
          // A cached user record may only delay a loss of access, never a gain: a refusal made with
          // one is made again with a fresh record when that record says otherwise (a new global admin).
          if (!signedIn?.cached || !isRefusal(err)) throw err;
          const fresh = await authenticate(req, true);
          if (fresh.caller.admin === caller.admin) throw err;
          return run(fresh.caller);
        });
        if (reply.headers) res.set(reply.headers);
        res.status(reply.status);
        if (reply.stream) await sendStream(req, res, reply.stream);
        else if (reply.body === undefined) res.end();
        else res.json(reply.body);
      } catch (err) {
        next(err);
      }
    };
    router[route.method](expressPath(route.path), serverTiming ? timedHandler(handle) : handle);
  }
}

/** What a caller's missing permission looks like: 403, or 404 for what they may not know exists. */
const isRefusal = (err: unknown) => err instanceof ApiError && (err.code === 'PERMISSION_DENIED' || err.code === 'NOT_FOUND');

type Handler = (req: Request, res: Response, next: NextFunction) => Promise<void>;

/** `handle` with its steps timed, sent as Server-Timing when the response's headers go out. */
function timedHandler(handle: Handler): Handler {
  return (req, res, next) => {
    const steps = new Map<string, number>();
    const started = performance.now();
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: Parameters<Response['writeHead']>) {
      steps.set('total', performance.now() - started);
      if (!this.headersSent) this.setHeader('Server-Timing', serverTimingHeader(steps));
      return writeHead.apply(this, args);
    } as Response['writeHead'];
    return timedRequest(steps, () => handle(req, res, next));
  };
}

async function sendStream(req: Request, res: Response, open: () => NodeJS.ReadableStream): Promise<void> {
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  try {
    await pipeline(open(), res);
  } catch (err) {
    // The headers are gone already; all that is left is to cut the connection so the client sees a short body.
    logger.warn('Response stream interrupted', { path: req.path, requestId: req.requestId, error: String(err) });
    res.destroy();
  }
}
