import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TASK_CONFIG,
  checkNewFields,
  checkNewTask,
  checkTaskUpdate,
  deriveTaskId,
  indexFieldsOf,
  matchKey,
  normaliseSegment,
  searchKey,
  searchTokens,
  taskConfigOf,
  withoutIndexFields,
  NO_DEADLINE_KEY,
  type TaskRecord,
} from '../../src/tasks/rules.js';

const config = taskConfigOf({ task_types: ['comp', 'lighting', 'look_dev'], milestones: ['not_started', 'final_comp'], priority_levels: ['low', 'medium', 'high', 'urgent'] });

function valid(input: Record<string, unknown>): TaskRecord {
  const r = checkNewTask(input, config);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

describe('task rules: normalisation and ids', () => {
  it('keeps the spec stored shape Ep00 / sq0010 / SH0020 whatever the input case', () => {
    expect(['ep00', 'EP00', 'Ep00', ' eP00 '].map((v) => normaliseSegment('episode', v))).toEqual(['Ep00', 'Ep00', 'Ep00', 'Ep00']);
    expect(['SQ0010', 'sq0010', 'Sq0010'].map((v) => normaliseSegment('sequence', v))).toEqual(['sq0010', 'sq0010', 'sq0010']);
    expect(['sh0020', 'SH0020', 'Sh0020'].map((v) => normaliseSegment('shot', v))).toEqual(['SH0020', 'SH0020', 'SH0020']);
    expect(normaliseSegment('shot', 'HeroChar')).toBe('HeroChar');
    expect(normaliseSegment('episode', 'sq10')).toBe('sq10');
    expect(matchKey(' Ep00 ')).toBe('ep00');
  });

  it('derives the lower-cased spec id', () => {
    expect(deriveTaskId({ episode: 'Ep00', sequence: 'sq0010', shot: 'SH0020', task: 'comp' })).toBe('ep00_sq0010_sh0020_comp');
    expect(deriveTaskId({ episode: 'EP01', sequence: 'SQ010', shot: 'sh020', task: 'Look_Dev' })).toBe('ep01_sq010_sh020_look_dev');
  });

  it('reads a project configuration, falling back to the spec defaults only for missing lists', () => {
    expect(taskConfigOf(undefined)).toEqual(DEFAULT_TASK_CONFIG);
    expect(taskConfigOf({ task_types: [] }).task_types).toEqual([]);
    expect(taskConfigOf({ priority_levels: ['p1', 'p2'] }).priority_levels).toEqual(['p1', 'p2']);
  });
});

describe('task rules: new tasks', () => {
  it('fills the spec defaults and normalises names', () => {
    const t = valid({ project_id: 'SWA', episode: 'ep00', sequence: 'SQ0010', shot: 'sh0020', task: 'COMP' });
    expect(t).toEqual({
      id: 'ep00_sq0010_sh0020_comp', project: 'SWA', project_id: 'SWA', type: 'shot', episode: 'Ep00', sequence: 'sq0010', shot: 'SH0020', task: 'comp',
      artist: 'Unassigned', status: 'not_started', priority: 'medium', milestone: 'not_started', milestone_note: '', frame_range: null, start_time: null, deadline: null,
      estimated_duration_hours: 0, actual_time_logged: 0, versions: [], current_version: 'v001', published_version: 'v000', file_extension: '', master_file: true,
      working_file_path: '', render_output_path: '', media_file_path: '', cache_file_path: '', filename: '', sequence_clean: '', shot_clean: '', episode_clean: '',
      client_submission_history: [],
    });
  });

  it('accepts project as the older name of project_id, and an explicit id', () => {
    const t = valid({ project: 'SWA', id: 'custom-id', episode: 'Ep01', sequence: 'sq1', shot: 'SH1', task: 'lighting', priority: 'HIGH', milestone: 'Final_Comp' });
    expect([t.id, t.project_id, t.priority, t.milestone]).toEqual(['custom-id', 'SWA', 'high', 'final_comp']);
  });

  it('returns every problem of an input, each naming its field', () => {
    const r = checkNewTask(
      {
        project_id: 'SWA', episode: 'ep_00', sequence: '', shot: 'SH0020', task: 'paint', type: 'prop', status: 'done', priority: 'asap', milestone: 'wip',
        frame_range: { start: 1100, end: 1001 }, current_version: '1', versions: ['v001', 'v2'], deadline: '2025-02-30', start_time: '2025-09-01T10:00:00', colour: 'red',
      },
      config,
    );
    expect(r.ok).toBe(false);
    const fields = r.ok ? [] : r.problems.map((p) => p.field).sort();
    expect(fields).toEqual(['current_version', 'deadline', 'episode', 'frame_range', 'milestone', 'priority', 'sequence', 'start_time', 'status', 'task', 'type', 'versions.1', 'colour'].sort());
    const byField = r.ok ? {} : Object.fromEntries(r.problems.map((p) => [p.field, p.issue]));
    expect(byField.frame_range).toBe('frame_range.start must be less than frame_range.end');
    expect(byField.priority).toBe("'asap' is not one of the project's priority_levels: low, medium, high, urgent");
    expect(byField.current_version).toBe('Expected a version like v001 (v followed by at least three digits)');
  });

  it('names a missing project and each unknown field', () => {
    const r = checkNewTask({ episode: 'Ep00', sequence: 'sq1', shot: 'SH1', task: 'comp', colour: 'red', size: 2 }, config);
    expect(r.ok ? [] : r.problems).toEqual([
      { field: 'colour', issue: 'Unknown field' },
      { field: 'size', issue: 'Unknown field' },
      { field: 'project_id', issue: 'project_id is required' },
    ]);
    expect(checkNewTask('nope', config)).toEqual({ ok: false, problems: [{ field: 'input', issue: 'Invalid input: expected object, received string' }] });
  });

  it('refuses values when the project configures an empty list', () => {
    const r = checkNewTask({ project_id: 'P', episode: 'Ep00', sequence: 'sq1', shot: 'SH1', task: 'comp' }, taskConfigOf({ task_types: [] }));
    expect(r.ok ? [] : r.problems).toEqual([{ field: 'task', issue: 'The project has no task_types configured' }]);
  });
});
