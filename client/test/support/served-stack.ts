// One served stack for the whole client test run: `node stack/serve.mjs` (what `npm run serve`
// runs) on free ports, without demo data. The test files reach it through inject('stack').
// Needs functions/lib built (`npm run build`). MONTU_SERVED_PORTS (the JSON of a stack's ports,
// as stack/emulators.mjs names them) uses a stack that is already serving instead.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { freePorts, PROJECT_ID, type Ports } from '../../../stack/emulators.mjs';
import { startServedStack } from '../../../stack/served.mjs';

export interface ServedStack {
  /** The API's base URL, as the spec writes it but on this stack's Hosting port. */
  baseUrl: string;
  authHost: string;
  firestoreHost: string;
  firestorePort: number;
  projectId: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: ServedStack;
  }
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.MONTU_SERVED_PORTS) {
    project.provide('stack', stackAt(JSON.parse(process.env.MONTU_SERVED_PORTS) as Ports));
    return async () => {};
  }
  if (!existsSync(path.join(ROOT, 'functions/lib/index.js'))) throw new Error('functions/lib is not built: run npm run build first');
  const logFile = path.join(tmpdir(), `montu-client-stack-${process.pid}.log`);
  console.log(`[client tests] the served stack logs to ${logFile}`);
  const served = await startServedStack({ ports: await freePorts(), logFile });
  project.provide('stack', stackAt(served.ports));
  return served.stop;
}

function stackAt(ports: Ports): ServedStack {
  return {
    baseUrl: `http://127.0.0.1:${ports.hosting}/api/v1`,
    authHost: `127.0.0.1:${ports.auth}`,
    firestoreHost: '127.0.0.1',
    firestorePort: ports.firestore!,
    projectId: PROJECT_ID,
  };
}
