// client/README.md's TypeScript examples, type-checked and run in order as one module against the
// served stack, as a reader would against `npm run serve`: only the base URL, the emulator ports
// and the offline file change. The stack here has no demo data, so the demo user, project and task the
// examples use are made first, as the seed makes them.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, expect, it, vi } from 'vitest';
import { createUser, stack, studioAdmin } from './support/stack.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const MODULE = fileURLToPath(new URL('./.readme-examples.ts', import.meta.url));
const OFFLINE_FILE = path.join(tmpdir(), `montu-readme-offline-${process.pid}.json`);
const DEMO = { email: 'supervisor@montu.test', password: 'montu-super-123', project: 'SWA', task: 'ep00_sq0010_sh0020_lighting' };

/** The ```ts blocks, in order. */
function examples(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** Type errors in the module, with the package's names mapped to its sources. */
function typeErrors(file: string): string[] {
  const dir = fileURLToPath(new URL('..', import.meta.url));
  const { config } = ts.readConfigFile(path.join(dir, 'tsconfig.json'), ts.sys.readFile);
  const paths = { '@montu/client': ['./src/index.ts'], '@montu/client/*': ['./src/*.ts'] };
  const parsed = ts.parseJsonConfigFileContent({ ...config, compilerOptions: { ...config.compilerOptions, noEmit: true, paths }, include: [], files: [file] }, ts.sys, dir);
  return ts.getPreEmitDiagnostics(ts.createProgram(parsed.fileNames, parsed.options)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/** The examples as one module, pointed at the test's stack. */
const source = examples(README)
  .join('\n')
  .replaceAll('http://localhost:8080/api/v1', stack.baseUrl)
  .replaceAll("'http://127.0.0.1:9099'", `'http://${stack.authHost}'`)
  .replaceAll("'127.0.0.1', 8180", `'${stack.firestoreHost}', ${stack.firestorePort}`)
  .replaceAll("'montu-offline.json'", JSON.stringify(OFFLINE_FILE));

afterAll(() => {
  rmSync(MODULE, { force: true });
  rmSync(OFFLINE_FILE, { force: true });
});

it('the README has its four examples, and they type-check against the package', () => {
  expect(examples(README)).toHaveLength(4);
  expect(source).not.toMatch(/localhost:8080|:9099|8180|montu-offline\.json/);
  writeFileSync(MODULE, source);
  expect(typeErrors(MODULE)).toEqual([]);
});

it('the README examples log in, list, listen and work offline on the served stack', async () => {
  const admin = await studioAdmin();
  await createUser(DEMO.email, { password: DEMO.password });
  await admin.createProject({ id: DEMO.project, name: 'Star Wars Animation' });
  await admin.addProjectUsers(DEMO.project, [{ email: DEMO.email, permissions: ['read', 'write', 'admin'] }]);
  await admin.createTask({ project_id: DEMO.project, episode: 'ep00', sequence: 'sq0010', shot: 'sh0020', task: 'lighting' });

  writeFileSync(MODULE, source);

  const logged: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')));
  try {
    await import(pathToFileURL(MODULE).href);
  } finally {
    log.mockRestore();
  }

  expect(logged).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^signed in as \S+$/),
      '1 tasks in SWA, 1 on the first page',
      `${DEMO.task} not_started`,
      expect.stringMatching(/^404 NOT_FOUND .+ req_\w+$/),
      '1 tasks live',
      expect.stringMatching(new RegExp(`^${DEMO.task} changed by \\S+: {"status":"in_progress"}$`)),
      expect.stringMatching(new RegExp(`^heard {"task_id":"${DEMO.task}","changes":{"status":"in_progress"}`)),
      '1 tasks cached',
      expect.stringMatching(new RegExp(`^${DEMO.task} applied \\[\\]$`)),
      '0 change(s) waiting',
    ]),
  );
  expect(await admin.getTask(DEMO.task)).toMatchObject({ status: 'in_progress', artist: 'kim', priority: 'high' });
});
