import { describe, expect, it } from 'vitest';
import { createTestContext } from '../support/context.js';
import { storedChanges, storedNewTask, writeTasks } from '../../src/tasks/store.js';
import { configOf, newTask } from './fixture.js';

const ctx = createTestContext('tasks-store');

describe('writeTasks (the bulk writer the CSV importer reuses)', () => {
  it('creates and updates many tasks, reporting each write, with derived fields and the actor', async () => {
    const config = configOf('SWA');
    const make = (shot: string) => newTask({ project_id: 'SWA', episode: 'ep02', sequence: 'sq0100', shot, task: 'lighting' }, config);
    const first = await writeTasks(ctx.db, [make('sh0010'), make('sh0020')].map((task) => ({ kind: 'create' as const, task, config })), { actor: 'importer-uid' });
    expect(first).toEqual([{ id: 'ep02_sq0100_sh0010_lighting', ok: true }, { id: 'ep02_sq0100_sh0020_lighting', ok: true }]);

    const current = (await ctx.taskDoc('SWA', 'ep02_sq0100_sh0010_lighting').get()).data()!;
    const second = await writeTasks(
      ctx.db,
      [
        { kind: 'create', task: make('SH0020'), config },
        { kind: 'create', task: make('sh0030'), config },
        { kind: 'update', projectId: 'SWA', id: 'ep02_sq0100_sh0010_lighting', current, changes: { priority: 'urgent', artist: 'Mia' }, config },
        { kind: 'update', projectId: 'SWA', id: 'ep02_sq0100_sh9999_lighting', current, changes: { priority: 'low' }, config },
      ],
      { actor: 'importer-uid', bulkId: 'evt-1' },
    );
    expect(second).toEqual([
      { id: 'ep02_sq0100_sh0020_lighting', ok: false, reason: 'already_exists', error: 'Task ep02_sq0100_sh0020_lighting already exists' },
      { id: 'ep02_sq0100_sh0030_lighting', ok: true },
      { id: 'ep02_sq0100_sh0010_lighting', ok: true },
      { id: 'ep02_sq0100_sh9999_lighting', ok: false, reason: 'not_found', error: 'Task ep02_sq0100_sh9999_lighting not found' },
    ]);
    const updated = (await ctx.taskDoc('SWA', 'ep02_sq0100_sh0010_lighting').get()).data()!;
    expect(updated).toMatchObject({ priority: 'urgent', priority_rank: 3, artist: 'Mia', artist_key: 'mia', updated_by: 'importer-uid', created_by: 'importer-uid', bulk_id: 'evt-1', shot: 'SH0010', shot_key: 'sh0010' });
    expect(updated.updated_at.toMillis()).toBeGreaterThanOrEqual(current.updated_at.toMillis());
  });
});

describe('storedChanges', () => {
  it('rewrites only the derived fields a change affects', () => {
    const config = configOf('SWA');
    const current = storedNewTask(newTask({ project_id: 'SWA', episode: 'Ep01', sequence: 'sq0010', shot: 'SH0010', task: 'comp' }, config), config, 'a') as unknown as Record<string, unknown>;
    const keys = (changes: Record<string, unknown>) => Object.keys(storedChanges(current, changes, config, 'b')).sort();
    expect(keys({ artist: 'Zed' })).toEqual(['artist', 'artist_key', 'bulk_id', 'updated_at', 'updated_by']);
    expect(keys({ priority: 'high' })).toEqual(['bulk_id', 'priority', 'priority_key', 'priority_rank', 'updated_at', 'updated_by']);
    expect(keys({ name: 'Hero', status: 'archived' })).toEqual(['archived', 'bulk_id', 'name', 'ready', 'search_tokens', 'status', 'updated_at', 'updated_by']);
    expect(keys({ milestone_note: 'x' })).toEqual(['bulk_id', 'milestone_note', 'updated_at', 'updated_by']);
  });
});
