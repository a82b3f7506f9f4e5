import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanValue, configIssues, normalizePath, PathBuilder, PathConfigError, versionDigits, type PathConfig } from '../../src/paths/builder.js';
import { SWA_PROJECT } from '../support/swa.js';
import { SPEC_COMPONENTS, SPEC_PATH } from './spec-example.js';

const swa: PathConfig = SWA_PROJECT;
const builder = PathBuilder.compile(swa);
const shot = { episode: 'ep01', sequence: 'sq010', shot: 'sh020', task: 'lighting', version: 'v003', artist: 'john_doe' };

function config(overrides: Partial<PathConfig>): PathConfig {
  return { ...swa, ...overrides };
}

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

describe('Path Builder: validation (parsing paths back)', () => {
  it('round-trips every template and pattern of the SWA configuration', () => {
    const values = { ...shot, frame: 1001, ext: 'exr' };
    const cases: [string, string | undefined][] = [
      ['working_file', 'maya_scene'],
      ['working_file', 'nuke_script'],
      ['working_file', 'render_sequence'],
      ['render_output', undefined],
      ['render_output', 'maya_scene'],
      ['render_output', 'nuke_script'],
      ['render_output', 'render_sequence'],
      ['media_file', undefined],
      ['media_file', 'maya_scene'],
      ['media_file', 'nuke_script'],
      ['media_file', 'render_sequence'],
    ];
    for (const [template, pattern] of cases) {
      const generated = builder.generate({ template, pattern, values });
      if (!generated.ok) throw new Error(generated.message);
      expect(builder.validate(generated.path)).toEqual({ valid: true, path: generated.path, template, pattern: pattern ?? null, components: generated.components });
    }
  });

  it('parses the spec example back into its components', () => {
    expect(builder.validate(SPEC_PATH)).toEqual({
      valid: true,
      path: SPEC_PATH,
      template: 'working_file',
      pattern: 'maya_scene',
      components: SPEC_COMPONENTS,
    });
  });

  it('accepts backslashes, a lower-case drive letter and a directory without its trailing slash', () => {
    expect(builder.validate('v:\\SWA\\all\\scene\\ep01\\sq010\\sh020\\lighting\\version\\ep01_sq010_sh020_lighting_master_v003.ma')).toMatchObject({ valid: true, pattern: 'maya_scene' });
    expect(builder.validate('W:/SWA/all/scene/ep01/sq010/sh020/lighting/version/v003')).toMatchObject({
      valid: true,
      path: 'W:/SWA/all/scene/ep01/sq010/sh020/lighting/version/v003/',
      template: 'render_output',
      pattern: null,
    });
  });

  it('says where a path stops matching and what was expected there', () => {
    const result = builder.validate('V:/SWA/all/scene/ep01/SQ010/sh020/lighting/version/ep01_sq010_sh020_lighting_master_v003.ma');
    expect(result).toEqual({
      valid: false,
      path: 'V:/SWA/all/scene/ep01/SQ010/sh020/lighting/version/ep01_sq010_sh020_lighting_master_v003.ma',
      message:
        "Path follows template working_file with pattern maya_scene up to character 22 ('V:/SWA/all/scene/ep01/'), then expected {sequence_clean} (sequence without non-alphanumerics, lower-cased: SQ0010 → sq0010) but found 'SQ010/sh020/lighting/version/ep01_sq010_sh020_lighting_master_v003.ma'",
      closest: {
        template: 'working_file',
        pattern: 'maya_scene',
        position: 22,
        matched: 'V:/SWA/all/scene/ep01/',
        expected: '{sequence_clean} (sequence without non-alphanumerics, lower-cased: SQ0010 → sq0010)',
        found: 'SQ010/sh020/lighting/version/ep01_sq010_sh020_lighting_master_v003.ma',
      },
    });
  });

  it('reports a wrong extension and a wrong project as the literal expected', () => {
    const mb = builder.validate('V:/SWA/all/scene/ep01/sq010/sh020/lighting/version/ep01_sq010_sh020_lighting_master_v003.mb');
    expect(mb).toMatchObject({ valid: false, closest: { template: 'working_file', expected: "'.ma'", found: '.mb' } });
    const project = builder.validate('V:/XYZ/all/scene/ep01/sq010/sh020/lighting/version/ep01_sq010_sh020_lighting_master_v003.ma');
    expect(project).toMatchObject({ valid: false, closest: { position: 0, expected: "'V:/SWA/all/scene/'", found: 'V:/XYZ/all/scene/ep01/sq010/sh020/lighting/version/ep01_sq010_sh020_lighting_master_v003.ma' } });
  });

  it('refuses a filename whose values disagree with its folders', () => {
    const result = builder.validate('V:/SWA/all/scene/ep01/sq010/sh020/lighting/version/ep01_sq010_sh030_lighting_master_v003.ma');
    expect(result).toMatchObject({ valid: false, closest: { template: 'working_file', pattern: 'maya_scene', matched: 'V:/SWA/all/scene/ep01/sq010/sh020/lighting/version/ep01_sq010_', found: 'sh030_lighting_master_v003.ma' } });
  });

  it('handles repeated placeholders (they must agree) and adjacent ones', () => {
    const b = PathBuilder.compile(
      config({
        templates: { shot_file: '{drive_working}/{project}/{episode_clean}{sequence_clean}/{shot_clean}/{shot_clean}_{task}/{filename}' },
        filename_patterns: { packed: '{episode_clean}{sequence_clean}{shot_clean}{task}v{version}.{ext}' },
      }),
    );
    const g = b.generate({ template: 'shot_file', pattern: 'packed', values: { ...shot, episode: 'EP01', ext: 'abc' } });
    expect(g.ok && g.path).toBe('V:/SWA/ep01sq010/sh020/sh020_lighting/ep01sq010sh020lightingv003.abc');
    const back = g.ok ? b.validate(g.path) : null;
    expect(back).toMatchObject({ valid: true, template: 'shot_file', pattern: 'packed' });
    // Adjacent placeholders may split differently, but the parts always rebuild the same path.
    if (back?.valid) {
      const c = back.components;
      const again = b.generate({ template: 'shot_file', pattern: 'packed', values: { episode: c.episode_clean, sequence: c.sequence_clean, shot: c.shot_clean, task: c.task, version: c.version, ext: c.ext } });
      expect(again.ok && again.path).toBe(g.ok && g.path);
    }
    expect(b.validate('V:/SWA/ep01sq010/sh020/sh021_lighting/ep01sq010sh020lightingv003.abc')).toMatchObject({
      valid: false,
      closest: { matched: 'V:/SWA/ep01sq010/sh020/', expected: "{shot_clean} again ('sh020', as earlier in the path)", found: 'sh021_lighting/ep01sq010sh020lightingv003.abc' },
    });
  });

  it('refuses a path whose raw and clean values disagree', () => {
    const b = PathBuilder.compile(config({ templates: { both: '{drive_working}/{sequence}/{sequence_clean}/' }, filename_patterns: {} }));
    expect(b.validate('V:/SQ010/sq010/')).toMatchObject({ valid: true, components: { sequence: 'SQ010', sequence_clean: 'sq010' } });
    expect(b.validate('V:/SQ010/sq020/')).toEqual({
      valid: false,
      path: 'V:/SQ010/sq020/',
      message: 'Path has the shape of template both but its parts regenerate as V:/SQ010/sq010/',
      closest: null,
    });
  });

  it('answers a hostile path for ambiguous placeholders without exponential backtracking', () => {
    const flat = PathBuilder.compile(config({ templates: { t: '{drive_working}/{filename}' }, filename_patterns: { p: '{episode}_{sequence}_{shot}_{task}_{artist}.ma' } }));
    const long = `V:/${'a_'.repeat(400)}x.mb`;
    expect(flat.validate(long)).toMatchObject({ valid: false, closest: { template: 't', pattern: 'p' } });
    const packed = PathBuilder.compile(
      config({
        templates: { u: '{drive_working}/{episode_clean}{sequence_clean}{shot_clean}{task}/{filename}' },
        filename_patterns: { p: '{episode_clean}{sequence_clean}{shot_clean}{task}{artist}v{version}.ma' },
      }),
    );
    const result = packed.validate(`V:/${'a'.repeat(500)}/${'a'.repeat(500)}v12.ma`);
    expect(result.valid).toBe(false);
    expect(!result.valid && result.message).toMatch(/\(checking stopped after 20000 steps: adjacent placeholders make this path too ambiguous to check against every template\)$/);
  });

  it('round-trips any well-formed task values through generate and validate', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,10}[A-Za-z0-9])?$/);
    fc.assert(
      fc.property(segment, segment, segment, fc.constantFrom(...swa_task_types()), fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 99999 }), (episode, sequence, shotName, task, version, frame) => {
        fc.pre(cleanValue(sequence) !== '' && cleanValue(shotName) !== '');
        for (const [template, pattern] of [['working_file', 'maya_scene'], ['render_output', 'render_sequence'], ['media_file', undefined]] as const) {
          const g = builder.generate({ template, pattern, values: { episode, sequence, shot: shotName, task, version, frame, ext: 'exr' } });
          if (!g.ok) throw new Error(g.message);
          const v = builder.validate(g.path);
          expect(v).toEqual({ valid: true, path: g.path, template, pattern: pattern ?? null, components: g.components });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('normalizes separators but keeps a UNC share', () => {
    expect(normalizePath(' V:\\a\\\\b//c ')).toBe('V:/a/b/c');
    expect(normalizePath('\\\\srv\\share\\\\x')).toBe('//srv/share/x');
    expect(normalizePath('c:/x')).toBe('C:/x');
  });
});

function swa_task_types(): string[] {
  return [...SWA_PROJECT.task_types];
}

describe('Path Builder: configuration checks', () => {
  it('accepts the spec configuration', () => {
    expect(configIssues(swa)).toEqual([]);
  });

  it('names each bad placeholder and the field it is in', () => {
    const issues = configIssues(
      config({
        templates: { working_file: '{drive_working}/{projekt}/{sequnce_clean}/{filename}', cache: '{drive_cache}/{project}/{cache_dir}/{x', bad: '{Drive}' },
        filename_patterns: { maya_scene: '{episode}/{filename}.{middle_path}', empty: '' },
        path_segments: { ...swa.path_segments, episode: 'x' },
        drive_mapping: { working_files: 'V:' },
      }),
    );
    expect(issues).toEqual([
      { field: 'path_segments.episode', issue: "Segment name 'episode' is a built-in placeholder; choose another name" },
      { field: 'templates.working_file', issue: 'Unknown placeholders {projekt}, {sequnce_clean}' },
      { field: 'templates.cache', issue: "Unbalanced '{' at character 37" },
      { field: 'templates.bad', issue: 'Placeholder {Drive} is not a valid name (lower-case letters, digits, _)' },
      { field: 'filename_patterns.maya_scene', issue: 'A filename pattern makes one file name; it may not contain / or \\' },
      {
        field: 'filename_patterns.maya_scene',
        issue:
          'Unknown placeholders {filename}, {middle_path} (filename patterns may use {project}, {episode}, {sequence}, {shot}, {task}, {artist}, {episode_clean}, {sequence_clean}, {shot_clean}, {version}, {frame}, {ext})',
      },
      { field: 'filename_patterns.empty', issue: 'A filename pattern may not be empty' },
    ]);
  });

  it('requires the drive a template uses', () => {
    expect(configIssues(config({ drive_mapping: { working_files: 'V:' } }))).toEqual([
      { field: 'templates.render_output', issue: '{drive_render} needs drive_mapping.render_outputs, which is not set' },
      { field: 'templates.media_file', issue: '{drive_media} needs drive_mapping.media_files, which is not set' },
    ]);
    expect(() => PathBuilder.compile(config({ drive_mapping: {} }))).toThrow(PathConfigError);
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
