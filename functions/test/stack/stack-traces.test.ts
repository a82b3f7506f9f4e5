// Stack traces of bundled code name the source files: a small program is bundled the way
// tools/bundle.mjs bundles the functions (esbuild, ESM, linked source maps) and run by Node; the
// error it throws must name the TypeScript file, line and column it came from.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';

const run = promisify(execFile);
const STACK_TRACES = fileURLToPath(new URL('../../src/lib/stack-traces.ts', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'montu-stack-'));
  await writeFile(path.join(dir, 'checks.ts'), ['// A rule that refuses.', '', 'export function check(value: number): number {', "  if (value > 1) throw new RangeError('too big');", '  return value;', '}', ''].join('\n'));
  await writeFile(
    path.join(dir, 'main.ts'),
    [
      `import { mapStackTraces } from ${JSON.stringify(STACK_TRACES)};`,
      "import { check } from './checks.js';",
      "mapStackTraces(new URL('./', import.meta.url).href);",
      'try {',
      '  check(2);',
      '} catch (err) {',
      '  process.stdout.write((err as Error).stack ?? "");',
      '}',
    ].join('\n'),
  );
  await build({ entryPoints: [path.join(dir, 'main.ts')], outdir: path.join(dir, 'out'), bundle: true, format: 'esm', platform: 'node', sourcemap: 'linked', sourcesContent: false, logLevel: 'silent' });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('names the source file, line and column of each bundled frame', async () => {
  const { stdout } = await run(process.execPath, [path.join(dir, 'out/main.js')]);
  const [header, thrower, caller] = stdout.split('\n');
  expect(header).toBe('RangeError: too big');
  expect(thrower).toBe(`    at check (${path.join(dir, 'checks.ts')}:4:24)`);
  expect(caller).toBe(`    at ${path.join(dir, 'main.ts')}:5:3`);
});
