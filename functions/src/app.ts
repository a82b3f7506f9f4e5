// The Express app factory: everything the API does, built from its dependencies. Each domain's code
// loads on the first request that needs it (http/domains.ts).
import express from 'express';
import { AccessControl } from './auth/access.js';
import { createAuthenticator } from './auth/authenticate.js';
import { Sessions } from './auth/sessions.js';
import type { AppDeps } from './config/deps.js';
import { API_PREFIX } from './lib/api-prefix.js';
import { allowedMethods, DomainRoutes, lazyRouter, type Domain } from './http/domains.js';
import { cors, errorHandler, jsonBody, noSniff, requestId, unknownRoute } from './http/middleware.js';
import { userRateLimit } from './http/rate-limit.js';
import { mountRoutes, type AnyRoute, type MountOptions } from './http/route.js';
import { docsRouter } from './system/docs.js';

/** What every domain's services are built from: they share one AccessControl (permissions are cached per caller, not per service) and the sign-in sessions. */
export interface ApiContext {
  deps: AppDeps;
  access: AccessControl;
  sessions: Sessions;
}

/** How most domains load: one service, built from the dependencies and the AccessControl, and routes built on it. */
function routesOfService<S>(routes: () => Promise<(service: S) => AnyRoute[]>, service: () => Promise<new (deps: AppDeps, access: AccessControl) => S>): Domain<ApiContext>['load'] {
  return async ({ deps, access }) => {
    const [routesOf, Service] = await Promise.all([routes(), service()]);
    return routesOf(new Service(deps, access));
  };
}

/**
 * Every domain of the API, in matching order (literal paths before `{id}` paths of the same method),
 * with the paths it serves and how its services and routes are built.
 */
export const API_DOMAINS: Domain<ApiContext>[] = [
  {
    name: 'system',
    paths: ['/health', '/stats'],
    load: async ({ deps, access }) => {
      const [{ systemRoutes }, { SystemService }] = await Promise.all([import('./system/routes.js'), import('./system/service.js')]);
      return systemRoutes(new SystemService(deps.db, deps.clock), access);
    },
  },
  {
    name: 'auth',
    paths: ['/auth/**'],
    load: async ({ deps, access, sessions }) => {
      const [{ authRoutes }, { AuthService }] = await Promise.all([import('./auth/routes.js'), import('./auth/service.js')]);
      return authRoutes(new AuthService(deps, access, sessions));
    },
  },
  {
    name: 'members',
    paths: ['/projects/{}/users/**'],
    load: routesOfService(async () => (await import('./members/routes.js')).memberRoutes, async () => (await import('./members/service.js')).MembersService),
  },
  {
    name: 'projects',
    paths: ['/projects', '/projects/{}', '/projects/{}/stats', '/projects/{}/directory-structure'],
    load: routesOfService(async () => (await import('./projects/routes.js')).projectRoutes, async () => (await import('./projects/service.js')).ProjectService),
  },
  {
    name: 'paths',
    paths: ['/paths/**'],
    load: routesOfService(async () => (await import('./paths/routes.js')).pathRoutes, async () => (await import('./paths/service.js')).PathsService),
  },
  {
    name: 'csv-import',
    paths: ['/tasks/import-csv', '/tasks/import-csv-async', '/tasks/import-status/{}'],
    load: async ({ deps, access }) => {
      const [{ importRoutes }, { ImportService }] = await Promise.all([import('./csv-import/routes.js'), import('./csv-import/service.js')]);
      return importRoutes(new ImportService(deps, access), deps.config);
    },
  },
  {
    name: 'tasks',
    paths: ['/tasks', '/tasks/{}', '/tasks/{}/dependencies', '/tasks/{}/add-field'],
    load: routesOfService(async () => (await import('./tasks/routes.js')).taskRoutes, async () => (await import('./tasks/service.js')).TaskService),
  },
  {
    name: 'media',
    paths: ['/media/**'],
    // Its three services share one set of permission checks.
    load: async ({ deps, access }) => {
      const [{ mediaRoutes }, { MediaAccess }, { MediaService }, { MediaUploads }, { MediaFiles }] = await Promise.all([
        import('./media/routes.js'),
        import('./media/access.js'),
        import('./media/service.js'),
        import('./media/uploads.js'),
        import('./media/download.js'),
      ]);
      const checks = new MediaAccess(deps.db, access);
      return mediaRoutes({ service: new MediaService(deps, access, checks), uploads: new MediaUploads(deps, checks), files: new MediaFiles(deps, checks) }, deps.config);
    },
  },
  {
    name: 'annotations',
    paths: ['/annotations/**'],
    load: routesOfService(async () => (await import('./annotations/routes.js')).annotationRoutes, async () => (await import('./annotations/service.js')).AnnotationService),
  },
  {
    name: 'audit',
    paths: ['/audit', '/tasks/{}/history'],
    load: routesOfService(async () => (await import('./audit/routes.js')).auditRoutes, async () => (await import('./audit/service.js')).AuditService),
  },
  {
    name: 'webhooks',
    paths: ['/projects/{}/webhooks/**'],
    load: routesOfService(async () => (await import('./webhooks/routes.js')).webhookRoutes, async () => (await import('./webhooks/service.js')).WebhookService),
  },
];

const apiContext = (deps: AppDeps): ApiContext => ({ deps, access: new AccessControl(deps.db), sessions: new Sessions() });

/** Every route of the API, in matching order (every domain loaded). */
export function apiRoutes(deps: AppDeps): Promise<AnyRoute[]> {
  return new DomainRoutes(API_DOMAINS, apiContext(deps)).all();
}

const appDomains = new WeakMap<express.Express, DomainRoutes<ApiContext>>();

/** The domains `app` has loaded so far, by name: each loads on the first request that needs it. */
export const loadedDomains = (app: express.Express): string[] => appDomains.get(app)?.loaded() ?? [];

/** The API as an Express app; `domains` are API_DOMAINS unless a test serves its own. */
export function createApp(deps: AppDeps, domains = API_DOMAINS): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Only the proxies the deployment names: X-Forwarded-For entries before theirs are the client's to forge.
  app.set('trust proxy', deps.config.trustedProxyHops);
  app.set('query parser', 'simple');
  app.use(requestId);
  app.use(noSniff);
  app.use(cors(deps.config.corsOrigins));
  app.use(jsonBody());

  const context = apiContext(deps);
  const routes = new DomainRoutes(domains, context);
  appDomains.set(app, routes);
  const authenticate = createAuthenticator(deps.auth, context.sessions);
  // Built when first asked for, with every domain: a JSON route's cold start need not wait for either.
  let openApi: object | undefined;

  const api = express.Router();
  api.get('/openapi.json', async (_req, res) => {
    if (!openApi) {
      const [all, { buildOpenApiDocument }] = await Promise.all([routes.all(), import('./http/openapi.js')]);
      openApi = buildOpenApiDocument(all, { title: 'Montu Manager API', version: '2.1.0' });
    }
    res.json(openApi);
  });
  const serverTiming = deps.config.serverTiming;
  const mounted = (loaded: AnyRoute[], options: MountOptions) => {
    const router = express.Router();
    mountRoutes(router, loaded, authenticate, options);
    return router;
  };
  const afterAuthenticate = userRateLimit(deps);
  api.use(lazyRouter(routes, (loaded) => mounted(loaded, { afterAuthenticate, serverTiming })));
  app.use(API_PREFIX, api);

  // The spec also answers /health at the root.
  app.all('/health', lazyRouter(routes, (loaded) => mounted(loaded.filter((r) => r.path === '/health'), { serverTiming })));
  app.use(docsRouter(`${API_PREFIX}/openapi.json`));

  app.use(unknownRoute(allowedMethods(routes)));
  app.use(errorHandler);
  return app;
}
