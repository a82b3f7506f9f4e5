import { describe, expect, it } from 'vitest';
import { applyStyle, parseNamingPattern, resolveStyle, StyleTally, unpadded } from '../../src/csv-import/padding.js';

describe('naming style', () => {
  it('parses a naming pattern into a prefix and digit count per part', () => {
    expect(parseNamingPattern('Ep##_SQ####_sh###')).toEqual({ episode: { prefix: 'ep', width: 2 }, sequence: { prefix: 'sq', width: 4 }, shot: { prefix: 'sh', width: 3 } });
    expect(parseNamingPattern('##_####_####')).toEqual({ episode: { prefix: '', width: 2 }, sequence: { prefix: '', width: 4 }, shot: { prefix: '', width: 4 } });
    for (const bad of ['ep##_sq####', 'ep##_sq####_sh####_task', 'ep2_sq4_sh4', '{episode}_{sequence}_{shot}']) expect(parseNamingPattern(bad)).toBeUndefined();
  });

  it('pads, unpads and prefixes numbers to the style, leaving other names alone', () => {
    const sq4 = { prefix: 'sq', width: 4 };
    expect(['sh20', '10', 'sq00010', 'SQ0010', 'sq12345', 'sq0', 'intro', 'sh020a'].map((v) => applyStyle('sequence', v, sq4))).toEqual([
      'sh0020',
      'sq0010',
      'sq0010',
      'SQ0010',
      'sq12345',
      'sq0000',
      'intro',
      'sh020a',
    ]);
    expect(['sq0010', '0010'].map((v) => applyStyle('sequence', v, { prefix: 'sq', width: 0 }))).toEqual(['sq10', 'sq10']);
    expect(['sh020', '20'].map((v) => applyStyle('shot', v, undefined))).toEqual(['sh020', 'sh20']);
    expect(['sq0010', 'SH020', 'intro'].map(unpadded)).toEqual(['sq10', 'SH20', 'intro']);
  });

  it('infers the padding from zero-padded values, and no padding only from tasks that never pad', () => {
    const tally = new StyleTally();
    for (const v of ['Ep01', 'ep02', 'sq10']) tally.add(v.startsWith('sq') ? 'sequence' : 'episode', v);
    for (const v of ['SH0010', 'sh0020', 'sh1000', 'sh020']) tally.add('shot', v);
    expect(tally.style(false)).toEqual({ episode: { prefix: 'ep', width: 2 }, shot: { prefix: 'sh', width: 4 } });
    expect(tally.style(true)).toEqual({ episode: { prefix: 'ep', width: 2 }, sequence: { prefix: 'sq', width: 0 }, shot: { prefix: 'sh', width: 4 } });
  });

  it('takes each part from the first source that knows it', () => {
    expect(
      resolveStyle([
        { source: 'request', style: undefined },
        { source: 'project', style: { shot: { prefix: 'sh', width: 3 } } },
        { source: 'existing_tasks', style: { shot: { prefix: 'sh', width: 4 }, sequence: { prefix: 'sq', width: 4 } } },
        { source: 'file', style: {} },
      ]),
    ).toEqual({ style: { sequence: { prefix: 'sq', width: 4 }, shot: { prefix: 'sh', width: 3 } }, sources: { sequence: 'existing_tasks', shot: 'project' } });
  });
});
