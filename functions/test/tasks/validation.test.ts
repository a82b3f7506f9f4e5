import { describe, expect, it } from 'vitest';
import { searchKey } from '../../src/lib/search.js';
import { indexFieldsOf, NO_DEADLINE_KEY, searchTokens, withoutIndexFields } from '../../src/tasks/indexing.js';
import { deriveTaskId, matchKey, normaliseSegment } from '../../src/tasks/naming.js';
import { DEFAULT_TASK_CONFIG, taskConfigOf } from '../../src/tasks/project-config.js';
import type { TaskRecord } from '../../src/tasks/record.js';
import { checkNewFields, checkNewTaskInput as checkNewTask, checkTaskUpdateInput as checkTaskUpdate, taskProblems } from '../../src/tasks/validation.js';

/** A check's outcome as the API reports it: the value, or {field, issue} per problem. */
const reported = <T>(r: { ok: true; value: T } | { ok: false; issues: Parameters<typeof taskProblems>[0] }) => (r.ok ? r : { ok: false, problems: taskProblems(r.issues) });

const config = taskConfigOf({ task_types: ['comp', 'lighting', 'look_dev'], milestones: ['not_started', 'final_comp'], priority_levels: ['low', 'medium', 'high', 'urgent'] });

function valid(input: Record<string, unknown>): TaskRecord {
  const r = checkNewTask(input, config);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

describe('task input: normalisation and ids', () => {
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

describe('task input: new tasks', () => {
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
    const fields = r.ok ? [] : taskProblems(r.issues).map((p) => p.field).sort();
    expect(fields).toEqual(['current_version', 'deadline', 'episode', 'frame_range', 'milestone', 'priority', 'sequence', 'start_time', 'status', 'task', 'type', 'versions.1', 'colour'].sort());
    const byField = r.ok ? {} : Object.fromEntries(taskProblems(r.issues).map((p) => [p.field, p.issue]));
    expect(byField.frame_range).toBe('frame_range.start must be less than frame_range.end');
    expect(byField.priority).toBe("'asap' is not one of the project's priority_levels: low, medium, high, urgent");
    expect(byField.current_version).toBe('Expected a version like v001 (v followed by at least three digits)');
  });

  it('names a missing project and each unknown field', () => {
    const r = checkNewTask({ episode: 'Ep00', sequence: 'sq1', shot: 'SH1', task: 'comp', colour: 'red', size: 2 }, config);
    expect(r.ok ? [] : taskProblems(r.issues)).toEqual([
      { field: 'colour', issue: 'Unknown field' },
      { field: 'size', issue: 'Unknown field' },
      { field: 'project_id', issue: 'project_id is required' },
    ]);
    expect(reported(checkNewTask('nope', config))).toEqual({ ok: false, problems: [{ field: 'body', issue: 'Invalid input: expected object, received string' }] });
  });

  it('refuses values when the project configures an empty list', () => {
    const r = checkNewTask({ project_id: 'P', episode: 'Ep00', sequence: 'sq1', shot: 'SH1', task: 'comp' }, taskConfigOf({ task_types: [] }));
    expect(r.ok ? [] : taskProblems(r.issues)).toEqual([{ field: 'task', issue: 'The project has no task_types configured' }]);
  });
});

describe('task input: updates and custom fields', () => {
  const current = { ...valid({ project_id: 'SWA', episode: 'Ep00', sequence: 'sq0010', shot: 'SH0020', task: 'comp' }), workflow_status: 'x' } as Record<string, unknown>;

  it('normalises known fields and accepts existing custom fields', () => {
    expect(reported(checkTaskUpdate({ priority: 'URGENT', status: 'in_progress', workflow_status: { a: 1 }, deadline: '2025-10-01' }, config, current))).toEqual({
      ok: true,
      value: { workflow_status: { a: 1 }, priority: 'urgent', status: 'in_progress', deadline: '2025-10-01' },
    });
  });

  it('refuses identity, server and unknown fields and bad values, all at once', () => {
    const r = checkTaskUpdate({ episode: 'Ep01', updated_by: 'me', search_tokens: [], stauts: 'done', status: 'done', milestone: 'nope', frame_range: { start: 5, end: 5 } }, config, current);
    expect(r.ok ? [] : taskProblems(r.issues)).toEqual([
      { field: 'episode', issue: "episode cannot be changed: it is part of the task's identity (create a new task instead)" },
      { field: 'updated_by', issue: 'updated_by is maintained by the server' },
      { field: 'search_tokens', issue: 'search_tokens is maintained by the server' },
      { field: 'stauts', issue: 'Unknown field stauts: did you mean status? (to add a custom field this close to a task field, use POST /tasks/{task_id}/add-field)' },
      { field: 'status', issue: 'status must be one of not_started, in_progress, pending_review, needs_revision, approved, completed, on_hold, archived' },
      { field: 'frame_range', issue: 'frame_range.start must be less than frame_range.end' },
      { field: 'milestone', issue: "'nope' is not one of the project's milestones: not_started, final_comp" },
    ]);
    expect(reported(checkTaskUpdate({}, config, current))).toEqual({ ok: false, problems: [{ field: 'updates', issue: 'Give at least one field to change' }] });
  });

  it('refuses custom field names that collide with task fields, and values Firestore cannot store', () => {
    const { issues, collisions } = checkNewFields({ frontend_metadata: { ui_color: '#ff6b6b' }, status: 'x', bulk_id: 'y', workflow_status: 'z', nested: [[1]], '1bad': 1 }, current);
    expect({ problems: taskProblems(issues), collisions }).toEqual({
      problems: [
        { field: 'status', issue: 'status is a task field or reserved; custom fields need another name' },
        { field: 'bulk_id', issue: 'bulk_id is a task field or reserved; custom fields need another name' },
        { field: 'nested', issue: 'Arrays may not directly contain arrays (Firestore cannot store them)' },
        { field: '1bad', issue: 'Field names start with a letter and hold only letters, digits and _ (at most 64)' },
      ],
      collisions: [{ field: 'workflow_status', issue: 'The task already has a field workflow_status; change it with PATCH /tasks/{task_id}' }],
    });
  });
});

describe('task input: derived query fields', () => {
  it('stores case-insensitive keys, the priority rank, a sortable deadline and the archived flag', () => {
    const t = valid({ project_id: 'SWA', episode: 'ep00', sequence: 'sq0010', shot: 'sh0020', task: 'comp', artist: 'John_Doe', priority: 'high', deadline: '2025-10-01T12:00:00+02:00', status: 'archived' });
    const f = indexFieldsOf(t, config);
    expect({ ...f, search_tokens: undefined }).toEqual({
      episode_key: 'ep00', sequence_key: 'sq0010', shot_key: 'sh0020', task_key: 'comp', artist_key: 'john_doe', priority_key: 'high', priority_rank: 2,
      deadline_key: '2025-10-01T10:00:00.000Z', archived: true, search_tokens: undefined,
    });
    expect(indexFieldsOf({ ...t, deadline: null, priority: 'gone' }, config)).toMatchObject({ deadline_key: NO_DEADLINE_KEY, priority_rank: -1 });
    expect(withoutIndexFields({ id: 'x', ...f })).toEqual({ id: 'x' });
  });

  it('makes search tokens from word prefixes of name and description and word runs of the id', () => {
    const tokens = searchTokens({ id: 'ep00_sq0010_sh0020_comp', task: 'comp', name: 'Hero shot', description: 'Fix the Explosion edge' });
    for (const q of ['ep00', 'ep00_sq0010', 'sq0010_sh0020_comp', 'sh00', 'comp', 'hero_shot', 'her', 'explo', 'edge', 'fix']) expect(tokens).toContain(q);
    for (const q of ['e', 'xplosion', 'fix_the', 'shot_hero']) expect(tokens).not.toContain(q);
    expect(searchKey('  SQ0010 sh0020 ')).toBe('sq0010_sh0020');
    expect(searchKey('Explosion')).toBe('explosion');
  });
});
