// A task's stored shape: its own fields, the defaults of a new task, and the fields only the
// server writes. The derived query fields stored beside them are in indexing.ts.
import { DEPENDENCY_STATE_FIELDS } from './dependencies.js';
import { configured, type ProjectTaskConfig } from './project-config.js';
import type { TaskStatus } from './schemas.js';

/** Written and maintained by the server; clients never set them directly. */
export const SERVER_FIELDS = ['created_at', 'updated_at', 'created_by', 'updated_by', 'bulk_id', 'migrated_at', 'migration_version', ...DEPENDENCY_STATE_FIELDS] as const;

/** A task's own fields (spec shape, without timestamps, actor or derived fields). */
export interface TaskRecord {
  id: string;
  project: string;
  project_id: string;
  type: 'shot' | 'asset';
  episode: string;
  sequence: string;
  shot: string;
  task: string;
  name?: string;
  description?: string;
  artist: string;
  status: TaskStatus;
  priority: string;
  milestone: string;
  milestone_note: string;
  frame_range: { start: number; end: number } | null;
  start_time: string | null;
  deadline: string | null;
  estimated_duration_hours: number;
  actual_time_logged: number;
  versions: string[];
  current_version: string;
  published_version: string;
  file_extension: string;
  master_file: boolean;
  working_file_path: string;
  render_output_path: string;
  media_file_path: string;
  cache_file_path: string;
  filename: string;
  sequence_clean: string;
  shot_clean: string;
  episode_clean: string;
  client_submission_history: Record<string, unknown>[];
}

/** The defaults of a new task, as in the spec's stored example. */
export function newTaskDefaults(config: ProjectTaskConfig) {
  return {
    type: 'shot' as const,
    artist: 'Unassigned',
    status: 'not_started' as const,
    priority: configured(config.priority_levels, 'medium') ?? config.priority_levels[0] ?? 'medium',
    milestone: config.milestones[0] ?? 'not_started',
    milestone_note: '',
    frame_range: null,
    start_time: null,
    deadline: null,
    estimated_duration_hours: 0,
    actual_time_logged: 0,
    versions: [],
    current_version: 'v001',
    published_version: 'v000',
    file_extension: '',
    master_file: true,
    working_file_path: '',
    render_output_path: '',
    media_file_path: '',
    cache_file_path: '',
    filename: '',
    sequence_clean: '',
    shot_clean: '',
    episode_clean: '',
    client_submission_history: [],
  };
}

