import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PathBuilder } from '../../src/paths/builder.js';
import { cleanValue, normalizePath } from '../../src/paths/placeholders.js';
import { SWA_PROJECT } from '../support/swa.js';
import { builder, config, shot } from './builder-fixture.js';
import { SPEC_COMPONENTS, SPEC_PATH } from './spec-example.js';

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
      fc.property(segment, segment, segment, fc.constantFrom(...SWA_PROJECT.task_types), fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 99999 }), (episode, sequence, shotName, task, version, frame) => {
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
