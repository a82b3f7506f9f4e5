// Interactive docs served from npm packages (no CDN): Swagger UI at /docs, ReDoc at /redoc.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler, type Router } from 'express';

const require = createRequire(import.meta.url);

/** ReDoc's standalone bundle: from node_modules in development, copied into lib/vendor by the build for deploys. */
function redocBundle(): string | null {
  const vendored = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'vendor', 'redoc.standalone.js');
  if (existsSync(vendored)) return vendored;
  try {
    return require.resolve('redoc/bundles/redoc.standalone.js');
  } catch {
    return null;
  }
}

const page = (title: string, head: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title><meta name="viewport" content="width=device-width, initial-scale=1">${head}</head><body>${body}</body></html>`;

/**
 * The pages load nothing from elsewhere: everything they need is served here, and ReDoc's footer
 * logo (a CDN image) is refused by the browser before any request leaves the machine.
 */
const SAME_ORIGIN_ONLY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; script-src 'self' blob:";

export function docsRouter(openApiUrl: string): Router {
  const router = express.Router();
  router.use(['/docs', '/redoc'], (_req, res, next) => {
    res.set('Content-Security-Policy', SAME_ORIGIN_ONLY);
    next();
  });
  // The packages are found on the first request for them: a cold start's API request need not look.
  let swaggerAssets: RequestHandler | undefined;
  router.use('/docs/assets', (req, res, next) => {
    swaggerAssets ??= express.static(path.dirname(require.resolve('swagger-ui-dist/package.json')), { index: false, maxAge: '1h' });
    swaggerAssets(req, res, next);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(`window.ui = SwaggerUIBundle({ url: ${JSON.stringify(openApiUrl)}, dom_id: '#swagger-ui', persistAuthorization: true });`);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(
      page('Montu Manager API', '<link rel="stylesheet" href="/docs/assets/swagger-ui.css">', '<div id="swagger-ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script>'),
    );
  });
  let redoc: string | null | undefined;
  router.get('/redoc/redoc.standalone.js', (_req, res, next) => {
    if (redoc === undefined) redoc = redocBundle();
    if (redoc) res.sendFile(redoc, { maxAge: '1h' });
    else next();
  });
  router.get('/redoc', (_req, res) => {
    res.type('html').send(page('Montu Manager API (ReDoc)', '', `<redoc spec-url="${openApiUrl}"></redoc><script src="/redoc/redoc.standalone.js"></script>`));
  });
  return router;
}
