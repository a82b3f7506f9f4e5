// The Express app factory: everything the API does, built from its dependencies.
import express from 'express';
import { annotationRoutes } from './annotations/routes.js';
import { AnnotationService } from './annotations/service.js';
import { auditRoutes } from './audit/routes.js';
import { AuditService } from './audit/service.js';
import { AccessControl } from './auth/access.js';
import { createAuthenticator } from './auth/authenticate.js';
import { authRoutes } from './auth/routes.js';
import { AuthService } from './auth/service.js';
import { Sessions } from './auth/sessions.js';
import type { AppDeps } from './config/deps.js';
import { API_PREFIX } from './lib/api-prefix.js';
import { cors, errorHandler, jsonBody, noSniff, requestId, unknownRoute } from './http/middleware.js';
import { buildOpenApiDocument } from './http/openapi.js';
import { userRateLimit } from './http/rate-limit.js';
import { mountRoutes, type AnyRoute } from './http/route.js';
import { importRoutes } from './csv-import/routes.js';
import { ImportService } from './csv-import/service.js';
import { MediaAccess } from './media/access.js';
import { MediaFiles } from './media/download.js';
import { mediaRoutes, type MediaServices } from './media/routes.js';
import { MediaService } from './media/service.js';
import { MediaUploads } from './media/uploads.js';
import { memberRoutes } from './members/routes.js';
import { MembersService } from './members/service.js';
import { pathRoutes } from './paths/routes.js';
import { PathsService } from './paths/service.js';
import { projectRoutes } from './projects/routes.js';
import { ProjectService } from './projects/service.js';
import { docsRouter } from './system/docs.js';
import { systemRoutes } from './system/routes.js';
import { SystemService } from './system/service.js';
import { taskRoutes } from './tasks/routes.js';
import { TaskService } from './tasks/service.js';
import { webhookRoutes } from './webhooks/routes.js';
import { WebhookService } from './webhooks/service.js';

/** The media domain's three services, sharing its permission checks. */
function mediaServices(deps: AppDeps, access: AccessControl): MediaServices {
  const checks = new MediaAccess(deps.db, access);
  return { service: new MediaService(deps, access, checks), uploads: new MediaUploads(deps, checks), files: new MediaFiles(deps, checks) };
}

/** Every domain's service, built once; they share one AccessControl (permissions are cached per caller, not per service). */
function createServices(deps: AppDeps) {
  const access = new AccessControl(deps.db);
  const sessions = new Sessions();
  return {
    access,
    sessions,
    system: new SystemService(deps.db, deps.clock),
    auth: new AuthService(deps, access, sessions),
    members: new MembersService(deps, access),
    projects: new ProjectService(deps, access),
    paths: new PathsService(deps, access),
    imports: new ImportService(deps, access),
    tasks: new TaskService(deps, access),
    media: mediaServices(deps, access),
    annotations: new AnnotationService(deps, access),
    audit: new AuditService(deps, access),
    webhooks: new WebhookService(deps, access),
  };
}

/** Every route of the API, in matching order (literal paths before `{id}` paths of the same method). */
export function apiRoutes(deps: AppDeps, services = createServices(deps)): AnyRoute[] {
  return [
    ...systemRoutes(services.system, services.access),
    ...authRoutes(services.auth),
    ...memberRoutes(services.members),
    ...projectRoutes(services.projects),
    ...pathRoutes(services.paths),
    ...importRoutes(services.imports, deps.config),
    ...taskRoutes(services.tasks),
    ...mediaRoutes(services.media, deps.config),
    ...annotationRoutes(services.annotations),
    ...auditRoutes(services.audit),
    ...webhookRoutes(services.webhooks),
  ];
}

function routeMatcher(routes: AnyRoute[]) {
  const compiled = routes.map((r) => ({
    method: r.method,
    regex: new RegExp(`^${API_PREFIX}${r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}|\{\w+\}/g, '[^/]+')}/?$`),
  }));
  return (path: string) => [...new Set(compiled.filter((c) => c.regex.test(path)).map((c) => c.method))];
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Only the proxies the deployment names: X-Forwarded-For entries before theirs are the client's to forge.
  app.set('trust proxy', deps.config.trustedProxyHops);
  app.set('query parser', 'simple');
  app.use(requestId);
  app.use(noSniff);
  app.use(cors(deps.config.corsOrigins));
  app.use(jsonBody());

  const services = createServices(deps);
  const routes = apiRoutes(deps, services);
  const authenticate = createAuthenticator(deps.auth, services.sessions);
  // Built when first asked for: it costs a cold start tens of milliseconds that JSON routes need not wait for.
  let openApi: ReturnType<typeof buildOpenApiDocument> | undefined;

  const api = express.Router();
  api.get('/openapi.json', (_req, res) => {
    openApi ??= buildOpenApiDocument(routes, { title: 'Montu Manager API', version: '2.1.0' });
    res.json(openApi);
  });
  mountRoutes(api, routes, authenticate, { afterAuthenticate: userRateLimit(deps), serverTiming: deps.config.serverTiming });
  app.use(API_PREFIX, api);

  // The spec also answers /health at the root.
  const root = express.Router();
  mountRoutes(root, routes.filter((r) => r.path === '/health'), authenticate, { serverTiming: deps.config.serverTiming });
  app.use(root);
  app.use(docsRouter(`${API_PREFIX}/openapi.json`));

  const allowedMethods = routeMatcher(routes);
  app.use(unknownRoute(allowedMethods));
  app.use(errorHandler);
  return app;
}
