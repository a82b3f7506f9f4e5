// Copies ReDoc's standalone bundle (a devDependency) into lib/vendor, so deployed functions serve
// /redoc without installing ReDoc's React peer dependencies.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
mkdirSync(new URL('../lib/vendor/', import.meta.url), { recursive: true });
copyFileSync(require.resolve('redoc/bundles/redoc.standalone.js'), new URL('../lib/vendor/redoc.standalone.js', import.meta.url));
