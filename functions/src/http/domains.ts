// The API's domains (tasks, media, …) load on the first request that needs them: a cold start then
// compiles one domain's code and builds one domain's zod schemas, not every domain's (issue 21,
// functions/bench/README.md). A request path names the domains that may serve it by their path
// templates, checked against every route in test/api/domains.test.ts.
import type { RequestHandler } from 'express';
import * as logger from 'firebase-functions/logger';
import { API_PREFIX } from '../lib/api-prefix.js';
import { ApiError } from './errors.js';
import type { AnyRoute } from './route.js';

export interface Domain<C> {
  name: string;
  /**
   * The paths below /api/v1 its routes take: `{}` stands for one segment, a trailing `/**` for
   * anything below. A request loads every domain with a path it matches, so two domains may share
   * a path (`/tasks/import-csv` is the importer's POST and the tasks' GET `/tasks/{task_id}`).
   */
  paths: string[];
  /** Imports the domain's code and builds its services and routes, in matching order. */
  load: (context: C) => Promise<AnyRoute[]>;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');

/** A domain's path template as a test of request paths, as loose as Express is: any case, a trailing slash. */
function pathTest(template: string): RegExp {
  const below = template.endsWith('/**');
  const segments = (below ? template.slice(0, -'/**'.length) : template).split('/').slice(1);
  const body = segments.map((s) => (s === '{}' ? '[^/]*' : escapeRegExp(s))).join('/');
  return new RegExp(`^/${body}${below ? '(?:/.*)?' : '/?'}$`, 'i');
}

/** A route's own path as Express matches it below API_PREFIX, for the 405 answer's Allow. */
const routeTests = new WeakMap<AnyRoute, RegExp>();
function routeTest(route: AnyRoute): RegExp {
  let test = routeTests.get(route);
  if (!test) {
    test = new RegExp(`^${API_PREFIX}${route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}|\{\w+\}/g, '[^/]+')}/?$`);
    routeTests.set(route, test);
  }
  return test;
}

/** The methods `routes` take at `path` (the request's whole path). */
export const methodsAt = (routes: AnyRoute[], path: string) => [...new Set(routes.filter((r) => routeTest(r).test(path)).map((r) => r.method))];

/** The domains of one app, each loaded at most once at a time, with the context their services are built from. */
export class DomainRoutes<C> {
  private readonly tests: { domain: Domain<C>; paths: RegExp[] }[];
  private readonly loading = new Map<Domain<C>, Promise<AnyRoute[]>>();
  private readonly ready = new Set<string>();

  constructor(
    private readonly domains: Domain<C>[],
    private readonly context: C,
  ) {
    this.tests = domains.map((domain) => ({ domain, paths: domain.paths.map(pathTest) }));
  }

  /** The domains that may serve `path` (below /api/v1), in matching order. */
  serving(path: string): Domain<C>[] {
    return this.tests.filter((t) => t.paths.some((p) => p.test(path))).map((t) => t.domain);
  }

  /**
   * The routes of `domains`, in matching order. Concurrent first requests share one load; a load
   * that fails answers 503 and is tried again by the next request.
   */
  async routesOf(domains: Domain<C>[]): Promise<AnyRoute[]> {
    return (await Promise.all(domains.map((d) => this.load(d)))).flat();
  }

  all(): Promise<AnyRoute[]> {
    return this.routesOf(this.domains);
  }

  /** The domains loaded so far, by name: what a cold start has paid for. */
  loaded(): string[] {
    return this.domains.filter((d) => this.ready.has(d.name)).map((d) => d.name);
  }

  private load(domain: Domain<C>): Promise<AnyRoute[]> {
    let routes = this.loading.get(domain);
    if (!routes) {
      routes = domain.load(this.context).then(
        (loaded) => {
          this.ready.add(domain.name);
          return loaded;
        },
        (err: unknown) => {
          this.loading.delete(domain);
          logger.error('Loading a domain of the API failed', { domain: domain.name, error: err instanceof Error ? err.stack : String(err) });
          throw new ApiError('UNAVAILABLE', `This part of the API (${domain.name}) could not be started; try again shortly`, null, { retryAfterSeconds: 1 });
        },
      );
      this.loading.set(domain, routes);
    }
    return routes;
  }
}

/**
 * A middleware serving each request with the routes of the domains its path names, mounted by
 * `mount` once per set of domains (so routes of two domains at one path keep their order); a
 * path no domain takes goes on to the next middleware.
 */
export function lazyRouter<C>(domains: DomainRoutes<C>, mount: (routes: AnyRoute[]) => RequestHandler): RequestHandler {
  const routers = new Map<string, RequestHandler>();
  return async (req, res, next) => {
    const serving = domains.serving(req.path);
    if (serving.length === 0) return next();
    const key = serving.map((d) => d.name).join();
    let router = routers.get(key);
    if (!router) {
      const routes = await domains.routesOf(serving);
      router = routers.get(key) ?? mount(routes);
      routers.set(key, router);
    }
    return router(req, res, next);
  };
}

/** The methods the API takes at `path` (the request's whole path), loading only the domains that may serve it. */
export function allowedMethods<C>(domains: DomainRoutes<C>): (path: string) => Promise<string[]> {
  return async (path) => {
    if (!path.startsWith(API_PREFIX)) return [];
    return methodsAt(await domains.routesOf(domains.serving(path.slice(API_PREFIX.length))), path);
  };
}
