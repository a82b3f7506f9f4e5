// The Express app factory: everything the API does, built from its dependencies.
import express from 'express';
import { annotationRoutes } from './annotations/routes.js';
import { auditRoutes } from './audit/routes.js';
import { memberRoutes } from './auth/members-routes.js';
import { createAuthenticator } from './auth/authenticate.js';
import { authRoutes } from './auth/routes.js';
import type { AppDeps } from './deps.js';
import { mediaRoutes } from './media/routes.js';
import { cors, errorHandler, jsonBody, noSniff, requestId, unknownRoute } from './http/middleware.js';
import { API_PREFIX, buildOpenApiDocument } from './http/openapi.js';
import { userRateLimit } from './http/rate-limit.js';
import { importRoutes } from './imports/routes.js';
import { mountRoutes, type AnyRoute } from './http/route.js';
import { pathRoutes } from './paths/routes.js';
import { projectRoutes } from './projects/routes.js';
import { docsRouter } from './system/docs.js';
import { systemRoutes } from './system/routes.js';
import { taskRoutes } from './tasks/routes.js';
import { webhookRoutes } from './webhooks/routes.js';

/** Every route of the API, in matching order (literal paths before `{id}` paths of the same method). */
export function apiRoutes(deps: AppDeps): AnyRoute[] {
  return [...systemRoutes(deps), ...authRoutes(deps), ...memberRoutes(deps), ...projectRoutes(deps), ...pathRoutes(deps), ...importRoutes(deps), ...taskRoutes(deps), ...mediaRoutes(deps), ...annotationRoutes(deps), ...auditRoutes(deps), ...webhookRoutes(deps)];
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

  const routes = apiRoutes(deps);
  const authenticate = createAuthenticator(deps.auth);
  const openApi = buildOpenApiDocument(routes, { title: 'Montu Manager API', version: '2.1.0' });

  const api = express.Router();
  api.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  mountRoutes(api, routes, authenticate, userRateLimit(deps));
  app.use(API_PREFIX, api);

  // The spec also answers /health at the root.
  const root = express.Router();
  mountRoutes(root, routes.filter((r) => r.path === '/health'), authenticate);
  app.use(root);
  app.use(docsRouter(`${API_PREFIX}/openapi.json`));

  const allowedMethods = routeMatcher(routes);
  app.use(unknownRoute(allowedMethods));
  app.use(errorHandler);
  return app;
}
