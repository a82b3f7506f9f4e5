// The README's curl examples, run in order as a reader would paste them into bash, against the app
// on a local port over the test stack seeded with the demo data (scripts/seed.mjs). Only the base
// URL changes. Each must answer 2xx, or the status a `# expect <status>` comment right above it
// names; the spec's Quick Start calls must show its counts; every `#anchor` link must name a
// heading. So the README cannot drift from the API. The seed writes through functions/lib, so it
// must be built (npm test builds first).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET, seedDemoData } from '../../../scripts/seed.mjs';
import { SWA_PROJECT, SWA_TIMESTAMP } from '../support/swa.js';
import { createTestContext } from '../support/context.js';

const run = promisify(execFile);
const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const DOCUMENTED_BASE = 'http://localhost:8080';

interface Example {
  line: number;
  command: string;
  /** The status a `# expect <status>` comment asks for; 2xx otherwise. */
  expect: number | null;
}

/** Lines of the README outside fenced code blocks, and the shell blocks' lines, with line numbers. */
function scan(markdown: string) {
  const prose: { line: number; text: string }[] = [];
  const shell: { line: number; text: string }[][] = [];
  let fence: { shell: boolean } | null = null;
  for (const [i, text] of markdown.split('\n').entries()) {
    const opening = /^```(\w*)/.exec(text);
    if (opening && !fence) {
      fence = { shell: ['bash', 'sh', 'shell'].includes(opening[1]!) };
      if (fence.shell) shell.push([]);
    } else if (text.startsWith('```') && fence) fence = null;
    else if (!fence) prose.push({ line: i + 1, text });
    else if (fence.shell) shell.at(-1)!.push({ line: i + 1, text });
  }
  return { prose, shell };
}

/** The shell commands that run curl: continuation lines joined, comments dropped. */
function curlExamples(markdown: string): Example[] {
  const examples: Example[] = [];
  for (const block of scan(markdown).shell) {
    let expected: number | null = null;
    for (let i = 0; i < block.length; i++) {
      const { line, text } = block[i]!;
      const comment = /^\s*#\s*expect\s+(\d{3})\b/.exec(text);
      if (comment) expected = Number(comment[1]);
      if (text.trim() === '' || text.trim().startsWith('#')) continue;
      let command = text;
      while (command.endsWith('\\') && i + 1 < block.length) command = `${command}\n${block[++i]!.text}`;
      if (/\bcurl\s/.test(command)) examples.push({ line, command, expect: expected });
      expected = null;
    }
  }
  return examples;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

// curl's status goes to stderr (`%{stderr}`), so pipes and `$(...)` still get the body alone.
const CURL = `set -o pipefail\ncurl() { command curl -sS -w '%{stderr}[curl-status %{http_code}]\\n' "$@"; }\n`;
const ASSIGNMENT = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/;
const VALUE_MARK = '[assigned]';

interface Outcome {
  statuses: number[];
  stdout: string;
}

const ctx = createTestContext('docs');
const examples = curlExamples(README);
const variables: Record<string, string> = {};
const outcomes = new Map<Example, Outcome>();
let server: Server;
let base: string;
let workDir: string;

/** Runs one example in bash, with the variables earlier examples set; an assignment's value is kept. */
async function runExample(example: Example): Promise<Outcome> {
  const command = example.command.replaceAll(DOCUMENTED_BASE, base);
  const assigned = ASSIGNMENT.exec(command)?.[1];
  const script = `${CURL}${command}\n${assigned ? `printf '${VALUE_MARK}%s' "$${assigned}"\n` : ''}`;
  const { stdout, stderr } = await run('bash', ['-c', script], { cwd: workDir, env: { ...process.env, ...variables }, timeout: 15_000, maxBuffer: 16 * 1024 * 1024 }).catch(
    (err: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`README line ${example.line} failed: ${err.message}\n${err.stderr ?? ''}`);
    },
  );
  const statuses = [...stderr.matchAll(/\[curl-status (\d{3})\]/g)].map((m) => Number(m[1]));
  if (!assigned) return { statuses, stdout };
  const at = stdout.lastIndexOf(VALUE_MARK);
  variables[assigned] = stdout.slice(at + VALUE_MARK.length);
  return { statuses, stdout: stdout.slice(0, at) };
}

/** The outcome of the README's GET example of exactly this URL path (no query), parsed as JSON. */
function answerOf(urlPath: string): { status: number; body: Record<string, unknown> & { items?: Record<string, unknown>[] } } {
  const example = examples.find((e) => {
    const url = /http:\/\/localhost:8080(\/[^\s"'?]*)(\?[^\s"']*)?["']?(?:\s|$)/.exec(e.command);
    return url?.[1] === urlPath && url[2] === undefined && !/-X\s+(?!GET)/.test(e.command) && !/\s-o\s/.test(e.command);
  });
  expect(example, `the README has no curl example for GET ${urlPath}`).toBeDefined();
  const outcome = outcomes.get(example!);
  expect(outcome, `the example for ${urlPath} did not run`).toBeDefined();
  return { status: outcome!.statuses[0]!, body: JSON.parse(outcome!.stdout) };
}

beforeAll(async () => {
  expect(existsSync(new URL('../../lib/index.js', import.meta.url)), 'functions/lib is not built: run npm run build').toBe(true);
  await seedDemoData(ctx.deps);
  server = ctx.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  workDir = await mkdtemp(path.join(tmpdir(), 'readme-'));
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('README curl examples, in order', () => {
  it('has the login and the Quick Start examples to run', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
    expect(examples.some((e) => e.command.includes('/api/v1/auth/login') && ASSIGNMENT.exec(e.command)?.[1] === 'TOKEN')).toBe(true);
  });

  it.each(examples.map((e) => [`line ${e.line}: ${e.command.split('\n')[0]!.slice(0, 110)}`, e] as const))('%s', async (_name, example) => {
    const outcome = await runExample(example);
    outcomes.set(example, outcome);
    expect(outcome.statuses.length, 'curl ran and reported a status').toBeGreaterThan(0);
    for (const status of outcome.statuses) {
      const wanted = example.expect === null ? status >= 200 && status < 300 : status === example.expect;
      expect(wanted ? 'as documented' : `HTTP ${status}: ${outcome.stdout.slice(0, 500)}`).toBe('as documented');
    }
    const assigned = ASSIGNMENT.exec(example.command)?.[1];
    if (assigned) expect(variables[assigned], `${assigned} is set`).toMatch(/^[\w-]+\.[\w-]+\.[\w-]*$/);
  });
});

describe("the spec's Quick Start, as the README runs it", () => {
  it('health: healthy', () => {
    expect(answerOf('/health').body).toMatchObject({ status: 'healthy' });
  });

  it('stats: 2 projects, 65 tasks, 15 media records, 1 annotation, 6 directory operations, 4 versions', () => {
    expect(answerOf('/api/v1/stats').body.database).toMatchObject({
      collections: { projects: 2, tasks: 65, media_records: 15, annotations: 1, directory_operations: 6, versions: 4 },
    });
  });

  it('projects: 2, SWA among them', () => {
    const { body } = answerOf('/api/v1/projects');
    expect(body.total).toBe(2);
    expect(body.items!.map((p) => p.id)).toEqual(['NDR', 'SWA']);
  });

  it('tasks: 65', () => {
    const { body } = answerOf('/api/v1/tasks');
    expect(body).toMatchObject({ total: 65, page: 1, page_size: 50, total_pages: 2 });
    expect(body.items).toHaveLength(50);
  });

  it('media: 15 records, every one with its file and thumbnails', () => {
    const { body } = answerOf('/api/v1/media');
    expect(body.total).toBe(15);
    expect(body.items!.map((m) => [m.status, m.thumbnail_status])).toEqual(Array.from({ length: 15 }, () => ['active', 'ready']));
  });

  it("the task ep00_sq0010_sh0020_comp with the spec's values", () => {
    expect(answerOf('/api/v1/tasks/ep00_sq0010_sh0020_comp').body).toMatchObject({
      id: 'ep00_sq0010_sh0020_comp',
      project: 'SWA',
      project_id: 'SWA',
      type: 'shot',
      episode: 'Ep00',
      sequence: 'sq0010',
      shot: 'SH0020',
      task: 'comp',
      artist: 'Unassigned',
      status: 'not_started',
      priority: 'medium',
      milestone: 'not_started',
      milestone_note: 'Imported from CSV',
      frame_range: { start: 1001, end: 1153 },
      start_time: null,
      deadline: null,
      estimated_duration_hours: 24,
      actual_time_logged: 0,
      versions: [],
      current_version: 'v001',
      published_version: 'v000',
      file_extension: '.nk',
      master_file: true,
      working_file_path: '',
      render_output_path: '',
      media_file_path: '',
      cache_file_path: '',
      filename: '',
      sequence_clean: '',
      shot_clean: '',
      episode_clean: '',
      client_submission_history: [],
      _created_at: '2025-08-04T11:48:47.211160',
      _updated_at: '2025-08-04T15:02:10.234821',
      migrated_at: '2025-08-29T16:50:33.314000+00:00',
      migration_version: '1.0.0',
    });
  });

  it("the project SWA with the spec's configuration", () => {
    const { id, ...config } = SWA_PROJECT;
    expect(answerOf('/api/v1/projects/SWA').body).toEqual({
      id,
      ...config,
      created_at: new Date(SWA_TIMESTAMP).toISOString(),
      updated_at: new Date(SWA_TIMESTAMP).toISOString(),
      created_by: 'demo-admin',
      updated_by: 'demo-admin',
    });
  });
});

describe('README text', () => {
  it('documents every demo user with their password', () => {
    for (const user of DATASET.users) expect(README).toContain(`| \`${user.email}\` | \`${user.password}\` |`);
  });

  it('links only to headings that exist', () => {
    const { prose } = scan(README);
    const headings = new Set(prose.filter((l) => /^#{1,6}\s/.test(l.text)).map((l) => anchorOf(l.text.replace(/^#+/, ''))));
    const links = prose.flatMap((l) => [...l.text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => ({ line: l.line, anchor: m[1]! })));
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !headings.has(l.anchor))).toEqual([]);
  });
});
