// A project's task configuration: the task types, milestones and priority levels its tasks are
// checked against (validation.ts) and sorted by (indexing.ts).
import { matchKey } from './naming.js';

/** The parts of a project's configuration a task is checked against. */
export interface ProjectTaskConfig {
  task_types: readonly string[];
  milestones: readonly string[];
  /** Lowest first: the index is the priority's rank when sorting. */
  priority_levels: readonly string[];
}

/** The spec's example configuration, used for a list the project document does not carry at all. */
export const DEFAULT_TASK_CONFIG: ProjectTaskConfig = {
  task_types: ['modeling', 'rigging', 'animation', 'layout', 'lighting', 'comp', 'fx', 'lookdev'],
  milestones: ['not_started', 'single_frame', 'low_quality', 'final_render', 'final_comp', 'approved'],
  priority_levels: ['low', 'medium', 'high', 'urgent'],
};

const stringList = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined);

/** Reads the task configuration from a project document's data (a missing list falls back to the default; an empty one allows nothing). */
export function taskConfigOf(project: Record<string, unknown> | undefined): ProjectTaskConfig {
  return {
    task_types: stringList(project?.task_types) ?? DEFAULT_TASK_CONFIG.task_types,
    milestones: stringList(project?.milestones) ?? DEFAULT_TASK_CONFIG.milestones,
    priority_levels: stringList(project?.priority_levels) ?? DEFAULT_TASK_CONFIG.priority_levels,
  };
}

/** The project's own spelling of `value` (compared case-insensitively), or undefined when it is not configured. */
export function configured(list: readonly string[], value: string): string | undefined {
  const key = matchKey(value);
  return list.find((v) => matchKey(v) === key);
}
