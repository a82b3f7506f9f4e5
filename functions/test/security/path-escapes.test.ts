// Finding 4: templates and drive roots accepted `..` (and roots of their own), so planned directories
// and generated paths could point outside the project's folder. Every check goes through the Path
// Builder's configuration check, so it holds for new, patched and already stored configurations.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { PathBuilder } from '../../src/paths/builder.js';
import { configIssues } from '../../src/paths/config-checks.js';
import { normalizePath, type PathConfig } from '../../src/paths/placeholders.js';
import { SWA_PROJECT } from '../support/swa.js';
import { createTestContext, expectEnvelope, type TestUser } from '../support/context.js';

const swa: PathConfig = SWA_PROJECT;
const config = (overrides: Partial<PathConfig>): PathConfig => ({ ...swa, ...overrides });

describe('the configuration check refuses ways out of the project folder', () => {
  const escapes: [string, Partial<PathConfig>, { field: string; issue: RegExp }][] = [
    ['.. in a template', { templates: { t: '{drive_working}/../../../../Windows/System32/{filename}' } }, { field: 'templates.t', issue: /\.\./ }],
    ['.. with backslashes', { templates: { t: '{drive_working}\\{project}\\..\\..\\{filename}' } }, { field: 'templates.t', issue: /\.\./ }],
    ['.. made of a segment and the text beside it', { path_segments: { dot: '.' }, templates: { t: '{drive_working}/{dot}./{filename}' } }, { field: 'templates.t', issue: /\.\./ }],
    ['.. in a path segment', { path_segments: { up: 'a/../..' }, templates: { t: '{drive_working}/{up}/{filename}' } }, { field: 'path_segments.up', issue: /\.\./ }],
    ['a template with a root of its own', { templates: { t: '/etc/{project}/{filename}' } }, { field: 'templates.t', issue: /root/ }],
    ['a template naming a drive letter', { templates: { t: 'C:\\Windows\\{filename}' } }, { field: 'templates.t', issue: /root/ }],
    ['a drive letter after the drive', { templates: { t: '{drive_working}/D:/{filename}' } }, { field: 'templates.t', issue: /:/ }],
    ['a drive placeholder after the start', { templates: { t: '{project}/{drive_working}/{filename}' } }, { field: 'templates.t', issue: /drive/ }],
    ['.. in a drive root', { drive_mapping: { ...swa.drive_mapping, working_files: 'C:\\..\\..\\Windows' } }, { field: 'drive_mapping.working_files', issue: /\.\./ }],
    ['a second drive letter in a drive root', { drive_mapping: { ...swa.drive_mapping, working_files: 'V:/x/C:' } }, { field: 'drive_mapping.working_files', issue: /:/ }],
  ];
  for (const [what, overrides, expected] of escapes) {
    it(`refuses ${what}`, () => {
      const issues = configIssues(config(overrides));
      expect(issues).toContainEqual({ field: expected.field, issue: expect.stringMatching(expected.issue) });
    });
  }

  it('still accepts the spec configuration, dotted names, relative templates and every kind of drive root', () => {
    expect(configIssues(swa)).toEqual([]);
    expect(configIssues(config({ templates: { t: '{drive_working}/{project}/.cache/v{version}.{ext}/{filename}', rel: '{project}/{episode}/' } }))).toEqual([]);
    for (const root of ['V:', 'v:\\', '/mnt/projects', '\\\\fileserver\\vfx', '/']) expect(configIssues(config({ drive_mapping: { ...swa.drive_mapping, working_files: root } }))).toEqual([]);
  });
});

// The property: for any template the check accepts, every generated path and planned directory lies
// inside its drive root (or, for a template without a drive, stays relative), with no `..` in it.
const ROOTS = ['V:', 'V:/studio', '/mnt/projects', '\\\\fileserver\\vfx', '/'];
const SEGMENTS = ['.', '..', 'a/..', '../b', 'all/scene', '', '/x/', 'C:', 'x.y'];
const PIECES = ['/', '\\', '//', '.', '..', 'a', '_', 'v', ':', 'C:', '{project}', '{episode}', '{sequence_clean}', '{shot}', '{task}', '{version}', '{seg}', '{drive_working}'];
const VALUES = { episode: 'ep01', sequence: 'sq010', shot: 'sh020', task: 'comp', version: 3, artist: 'jd', frame: 1, ext: 'exr' };

/** Whether `raw` (separators as a file system reads them) lies inside `root`, or stays relative without one. */
function inside(raw: string, root: string | null): boolean {
  const path = normalizePath(raw);
  const parts = path.split('/');
  if (parts.includes('..')) return false;
  if (root === null) return !path.startsWith('/') && !/^[A-Za-z]:/.test(path) && !path.includes(':');
  const r = normalizePath(root).replace(/\/+$/, '');
  return path.startsWith(`${r}/`) && !path.slice(r.length).includes(':');
}

describe('property: accepted templates stay inside their project root', () => {
  it('holds for generated paths and planned directories of any accepted template', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.constantFrom(...ROOTS), fc.constantFrom(...SEGMENTS), fc.boolean(), fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 12 }), (root, seg, startsAtDrive, pieces) => {
        const template = `${startsAtDrive ? '{drive_working}/' : ''}${pieces.join('')}/{filename}`;
        const cfg = config({ drive_mapping: { working_files: root }, path_segments: { seg }, templates: { t: template }, filename_patterns: { f: '{shot}_v{version}.{ext}' } });
        if (configIssues(cfg).length > 0) return;
        accepted++;
        const builder = PathBuilder.compile(cfg);
        const drive = template.startsWith('{drive_working}') ? root : null;
        const generated = builder.generate({ template: 't', pattern: 'f', values: VALUES });
        if (generated.ok) expect({ template, root, path: generated.path, inside: inside(generated.path, drive) }).toMatchObject({ inside: true });
        const plan = builder.planDirectories({ episodes: ['ep01'], sequences: ['sq010'], shots: ['sh020'], task_types: ['comp'], version: 3 }, 1000);
        if ('directories' in plan) for (const dir of plan.directories) expect({ template, root, dir, inside: inside(`${dir}/`, drive) }).toMatchObject({ inside: true });
      }),
      { numRuns: 3000, seed: 20261203 },
    );
    expect(accepted).toBeGreaterThan(100);
  });
});

describe('through the API', () => {
  const ctx = createTestContext('path-escapes');
  let admin: TestUser;
  beforeAll(async () => {
    admin = await ctx.createUser({ admin: true });
  });

  it('refuses to create or patch a project whose templates or drives escape, naming the field', async () => {
    const created = await ctx.http().post('/api/v1/projects').set('Authorization', admin.bearer).send({ id: 'ESC', name: 'Escape', drive_mapping: { working_files: 'V:' }, templates: { t: '{drive_working}/../../../../Windows/System32/{filename}' } }).expect(400);
    expect(expectEnvelope(created.body, 'VALIDATION_ERROR').details).toMatchObject({ field: 'templates.t' });
    await ctx.http().post('/api/v1/projects').set('Authorization', admin.bearer).send({ id: 'ESC', name: 'Escape', drive_mapping: { working_files: 'V:' } }).expect(201);
    const patched = await ctx.http().patch('/api/v1/projects/ESC').set('Authorization', admin.bearer).send({ drive_mapping: { working_files: 'C:\\..\\..\\Windows' } }).expect(400);
    expect(expectEnvelope(patched.body, 'VALIDATION_ERROR').details).toMatchObject({ field: 'drive_mapping.working_files' });
  });

  it('plans no directories from a stored configuration that escapes (422 naming the problem)', async () => {
    await ctx.seedProject('OLD', { drive_mapping: { working_files: 'V:' }, path_segments: {}, templates: { t: '{drive_working}/{project}/../../Windows/{episode}/' }, filename_patterns: {} });
    const res = await ctx.http().post('/api/v1/projects/OLD/directory-structure').set('Authorization', admin.bearer).send({ episodes: ['ep01'] }).expect(422);
    expect(expectEnvelope(res.body, 'UNPROCESSABLE').message).toMatch(/templates\.t: .*\.\./);
  });
});
