import { describe, expect, it } from 'vitest';
import { PathBuilder } from '../../src/paths/builder.js';
import { cleanValue, versionDigits } from '../../src/paths/placeholders.js';
import { builder, config, shot, swa } from './builder-fixture.js';
import { SPEC_COMPONENTS, SPEC_PATH } from './spec-example.js';

describe('Path Builder: generation', () => {
  it("reproduces the spec's example to the character", () => {
    expect(builder.generate({ template: 'working_file', pattern: 'maya_scene', values: shot })).toEqual({
      ok: true,
      path: SPEC_PATH,
      components: SPEC_COMPONENTS,
      template: 'working_file',
      pattern: 'maya_scene',
    });
  });

  it('lists components in the order the spec shows them', () => {
    const result = builder.generate({ template: 'working_file', pattern: 'maya_scene', values: shot });
    expect(result.ok && Object.keys(result.components)).toEqual(['drive', 'project', 'episode', 'sequence_clean', 'shot_clean', 'task', 'version', 'filename']);
  });

  it('accepts versions as 3, "003", "v003", "V3" and pads to three digits', () => {
    for (const version of [3, '3', '003', 'v003', 'V3', 'v0003']) {
      const result = builder.generate({ template: 'working_file', pattern: 'nuke_script', values: { ...shot, version } });
      expect(result.ok && result.path).toBe('V:/SWA/all/scene/ep01/sq010/sh020/lighting/version/ep01_sq010_sh020_lighting_master_v003.nk');
    }
    const big = builder.generate({ template: 'render_output', values: { ...shot, version: 1234 } });
    expect(big.ok && big.path).toBe('W:/SWA/all/scene/ep01/sq010/sh020/lighting/version/v1234/');
    expect(versionDigits('v12a')).toBeNull();
    expect(versionDigits(-1)).toBeNull();
    expect(versionDigits(2.5)).toBeNull();
  });

  it('derives the *_clean values: non-alphanumerics dropped, lower-cased; the raw values stay as given', () => {
    expect(cleanValue('SQ0010')).toBe('sq0010');
    expect(cleanValue('sq0010')).toBe('sq0010');
    expect(cleanValue('Ep_00')).toBe('ep00');
    expect(cleanValue('SH-0020.a')).toBe('sh0020a');
    const result = builder.generate({ template: 'working_file', pattern: 'maya_scene', values: { ...shot, episode: 'Ep00', sequence: 'SQ0010', shot: 'SH0020', task: 'comp' } });
    expect(result.ok && result.path).toBe('V:/SWA/all/scene/Ep00/sq0010/sh0020/comp/version/Ep00_sq0010_sh0020_comp_master_v003.ma');
  });

  it('builds directory templates and puts a filename pattern inside them', () => {
    const render = builder.generate({ template: 'render_output', values: shot });
    expect(render.ok && render.path).toBe('W:/SWA/all/scene/ep01/sq010/sh020/lighting/version/v003/');
    const media = builder.generate({ template: 'media_file', values: shot });
    expect(media.ok && media.path).toBe('E:/SWA/all/scene/ep01/sq010/sh020/lighting/version/v003/media/');
    const frames = builder.generate({ template: 'render_output', pattern: 'render_sequence', values: { ...shot, frame: 1001, ext: 'exr' } });
    expect(frames).toMatchObject({
      ok: true,
      path: 'W:/SWA/all/scene/ep01/sq010/sh020/lighting/version/v003/ep01_sq010_sh020_lighting_v003.1001.exr',
      components: { drive: 'W:', frame: '1001', ext: 'exr', filename: 'ep01_sq010_sh020_lighting_v003.1001.exr' },
    });
  });

  it('pads frames (4 digits by default, or frame_padding) and keeps #### and %04d tokens', () => {
    const path = (frame: string | number, extra: object = {}) => {
      const r = builder.generate({ template: 'render_output', pattern: 'render_sequence', values: { ...shot, frame, ext: '.exr', ...extra } });
      return r.ok ? r.path.slice(r.path.lastIndexOf('/') + 1) : r.message;
    };
    expect(path(7)).toBe('ep01_sq010_sh020_lighting_v003.0007.exr');
    expect(path('12')).toBe('ep01_sq010_sh020_lighting_v003.0012.exr');
    expect(path(7, { frame_padding: 6 })).toBe('ep01_sq010_sh020_lighting_v003.000007.exr');
    expect(path(123456)).toBe('ep01_sq010_sh020_lighting_v003.123456.exr');
    expect(path('####')).toBe('ep01_sq010_sh020_lighting_v003.####.exr');
    expect(path('%04d')).toBe('ep01_sq010_sh020_lighting_v003.%04d.exr');
    expect(path('#a')).toBe("Cannot fill render_output with pattern render_sequence: frame '#a' must be a number or a token such as #### or %04d");
  });

  it('reports every missing value by placeholder name', () => {
    const result = builder.generate({ template: 'render_output', pattern: 'render_sequence', values: { episode: 'ep01', task: 'lighting' } });
    expect(result).toEqual({
      ok: false,
      kind: 'missing',
      message: 'Missing values for render_output with pattern render_sequence: {sequence_clean} (from sequence), {shot_clean} (from shot), {version}, {frame}, {ext}',
      missing: ['sequence_clean', 'shot_clean', 'version', 'frame', 'ext'],
    });
  });

  it('needs a filename pattern or a filename for templates with {filename}', () => {
    const none = builder.generate({ template: 'working_file', values: shot });
    expect(none).toMatchObject({ ok: false, kind: 'missing', missing: ['filename'] });
    const given = builder.generate({ template: 'working_file', values: { ...shot, filename: 'notes.txt' } });
    expect(given.ok && given.path).toBe('V:/SWA/all/scene/ep01/sq010/sh020/lighting/version/notes.txt');
    const bad = builder.generate({ template: 'working_file', values: { ...shot, filename: '../etc/passwd' } });
    expect(bad).toMatchObject({ ok: false, kind: 'invalid', invalid: [{ placeholder: 'filename' }] });
  });

  it('refuses values that would escape their path segment', () => {
    for (const episode of ['..', 'ep/01', 'ep\\01', 'a..b', '.hidden', 'ep01.']) {
      const result = builder.generate({ template: 'working_file', pattern: 'maya_scene', values: { ...shot, episode } });
      expect(result).toMatchObject({ ok: false, kind: 'invalid', invalid: [{ placeholder: 'episode' }] });
    }
    const empty = builder.generate({ template: 'working_file', pattern: 'maya_scene', values: { ...shot, sequence: '__' } });
    expect(empty).toMatchObject({ ok: false, invalid: [{ placeholder: 'sequence_clean', issue: "sequence '__' has no letters or digits, so {sequence_clean} would be empty" }] });
  });

  it('names unknown templates and patterns with the available ones', () => {
    expect(builder.generate({ template: 'cache_file', values: shot })).toEqual({
      ok: false,
      kind: 'unknown_template',
      message: "Project SWA has no template 'cache_file'",
      available: ['working_file', 'render_output', 'media_file'],
    });
    expect(builder.generate({ template: 'working_file', pattern: 'houdini', values: shot })).toMatchObject({
      kind: 'unknown_pattern',
      available: ['maya_scene', 'nuke_script', 'render_sequence'],
    });
  });

  it('joins Windows drive letters, backslash drives, POSIX roots and UNC shares cleanly', () => {
    const working = (drive: string) => {
      const b = PathBuilder.compile(config({ drive_mapping: { ...swa.drive_mapping, working_files: drive } }));
      const r = b.generate({ template: 'working_file', pattern: 'maya_scene', values: shot });
      return r.ok ? r.path : r.message;
    };
    const tail = 'SWA/all/scene/ep01/sq010/sh020/lighting/version/ep01_sq010_sh020_lighting_master_v003.ma';
    expect(working('V:')).toBe(`V:/${tail}`);
    expect(working('v:\\')).toBe(`V:/${tail}`);
    expect(working('V:/')).toBe(`V:/${tail}`);
    expect(working('/mnt/projects/')).toBe(`/mnt/projects/${tail}`);
    expect(working('/')).toBe(`/${tail}`);
    expect(working('\\\\fileserver\\vfx')).toBe(`//fileserver/vfx/${tail}`);
  });

  it('collapses the separators an empty or slashed path segment leaves behind', () => {
    const b = PathBuilder.compile(config({ path_segments: { ...swa.path_segments, middle_path: '', version_dir: '/version/' } }));
    const r = b.generate({ template: 'working_file', pattern: 'maya_scene', values: shot });
    expect(r.ok && r.path).toBe('V:/SWA/ep01/sq010/sh020/lighting/version/ep01_sq010_sh020_lighting_master_v003.ma');
    expect(r.ok && b.validate(r.path)).toMatchObject({ valid: true, template: 'working_file', pattern: 'maya_scene' });
  });
});


describe('Path Builder: directory planning', () => {
  it("plans the spec workflow's folders down to the deepest level the request names", () => {
    const plan = builder.planDirectories({ episodes: ['ep01', 'ep02'], sequences: ['sq010', 'SQ020'], shots: [], task_types: ['lighting'] }, 1000);
    expect(plan).toEqual({
      directories: [
        'E:/SWA',
        'E:/SWA/all',
        'E:/SWA/all/scene',
        'E:/SWA/all/scene/ep01',
        'E:/SWA/all/scene/ep01/sq010',
        'E:/SWA/all/scene/ep01/sq020',
        'E:/SWA/all/scene/ep02',
        'E:/SWA/all/scene/ep02/sq010',
        'E:/SWA/all/scene/ep02/sq020',
        'V:/SWA',
        'V:/SWA/all',
        'V:/SWA/all/scene',
        'V:/SWA/all/scene/ep01',
        'V:/SWA/all/scene/ep01/sq010',
        'V:/SWA/all/scene/ep01/sq020',
        'V:/SWA/all/scene/ep02',
        'V:/SWA/all/scene/ep02/sq010',
        'V:/SWA/all/scene/ep02/sq020',
        'W:/SWA',
        'W:/SWA/all',
        'W:/SWA/all/scene',
        'W:/SWA/all/scene/ep01',
        'W:/SWA/all/scene/ep01/sq010',
        'W:/SWA/all/scene/ep01/sq020',
        'W:/SWA/all/scene/ep02',
        'W:/SWA/all/scene/ep02/sq010',
        'W:/SWA/all/scene/ep02/sq020',
      ],
    });
  });

  it('goes down to task and version folders when shots and a version are given', () => {
    const plan = builder.planDirectories({ episodes: ['ep01'], sequences: ['sq010'], shots: ['sh010', 'sh020'], task_types: ['comp', 'fx'], version: 1, templates: ['render_output'] }, 1000);
    expect('directories' in plan && plan.directories.filter((d) => d.endsWith('/v001'))).toEqual([
      'W:/SWA/all/scene/ep01/sq010/sh010/comp/version/v001',
      'W:/SWA/all/scene/ep01/sq010/sh010/fx/version/v001',
      'W:/SWA/all/scene/ep01/sq010/sh020/comp/version/v001',
      'W:/SWA/all/scene/ep01/sq010/sh020/fx/version/v001',
    ]);
    expect('directories' in plan && plan.directories.length).toBe(5 + 2 + 4 + 4 + 4); // W:/SWA … sq010, two shots, and per shot and task: task, version, v001
    const noVersion = builder.planDirectories({ episodes: ['ep01'], sequences: ['sq010'], shots: ['sh010'], task_types: ['comp'], templates: ['media_file'] }, 1000);
    expect('directories' in noVersion && noVersion.directories.at(-1)).toBe('E:/SWA/all/scene/ep01/sq010/sh010/comp/version');
  });

  it('refuses plans beyond the limit and unknown templates', () => {
    const many = Array.from({ length: 20 }, (_, i) => `sh${i}`);
    expect(builder.planDirectories({ episodes: ['ep01'], sequences: many, shots: many, task_types: ['comp', 'fx'], templates: ['working_file'] }, 500)).toEqual({
      ok: false,
      kind: 'too_many',
      message: 'Template working_file alone would plan 800 directories; at most 500 per request',
    });
    expect(builder.planDirectories({ episodes: ['ep01'], sequences: [], shots: [], task_types: [], templates: ['nope'] }, 500)).toMatchObject({ kind: 'unknown_template' });
  });
});
