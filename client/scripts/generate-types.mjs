// Writes src/generated/openapi.ts from the OpenAPI document the built functions serve
// (npm run build in functions/ first).
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { servedDocument, typesOf, TYPES_FILE } from './openapi-types.mjs';

const { createApp } = await import('../../functions/lib/app.js');
const { defaultConfig } = await import('../../functions/lib/config/app-config.js');
await writeFile(TYPES_FILE, await typesOf(await servedDocument(createApp, defaultConfig)));
console.log(`wrote ${fileURLToPath(TYPES_FILE)}`);
