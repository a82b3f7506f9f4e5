// Task test arrangement: projects with their configuration, and tasks written straight through the
// store's stored form (derived fields included) with controlled timestamps, so sort order is exact.
import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import { taskConfigOf, type ProjectTaskConfig } from '../../src/tasks/project-config.js';
import type { TaskRecord } from '../../src/tasks/record.js';
import { checkNewTaskInput } from '../../src/tasks/validation.js';
import { storedNewTask, taskRef } from '../../src/tasks/store.js';

export const SWA_CONFIG = { task_types: ['modeling', 'rigging', 'animation', 'layout', 'lighting', 'comp', 'fx', 'lookdev'], milestones: ['not_started', 'final_render', 'approved'], priority_levels: ['low', 'medium', 'high', 'urgent'] };
export const RFX_CONFIG = { task_types: ['comp', 'lighting', 'animation', 'fx', 'layout'], milestones: ['not_started', 'approved'], priority_levels: ['minor', 'major', 'critical'] };

export function newTask(input: Record<string, unknown>, config: ProjectTaskConfig): TaskRecord {
  const r = checkNewTaskInput(input, config);
  if (!r.ok) throw new Error(`bad fixture task: ${JSON.stringify(r.issues)}`);
  return r.value;
}

/** Writes tasks directly with given created/updated times (ms since epoch), 400 per batch. */
export async function seedTasks(db: Firestore, tasks: { task: TaskRecord; config: ProjectTaskConfig; created: number; updated: number; actor?: string }[]) {
  for (let i = 0; i < tasks.length; i += 400) {
    const batch = db.batch();
    for (const t of tasks.slice(i, i + 400)) {
      batch.create(taskRef(db, t.task.project_id, t.task.id), {
        ...storedNewTask(t.task, t.config, t.actor ?? 'seed'),
        created_at: Timestamp.fromMillis(t.created),
        updated_at: Timestamp.fromMillis(t.updated),
      });
    }
    await batch.commit();
  }
}

export const configOf = (project: string) => taskConfigOf(project === 'RFX' ? RFX_CONFIG : SWA_CONFIG);
