// The spec's SWA project ("Sky Wars Anthology"), exactly as GET /projects shows it: the one copy
// the seed, the tests and the benchmark use.
export const SWA_PROJECT = {
  id: 'SWA',
  name: 'Sky Wars Anthology',
  description: 'VFX project for Sky Wars Anthology series',
  status: 'active',
  drive_mapping: {
    working_files: 'V:',
    render_outputs: 'W:',
    media_files: 'E:',
    cache_files: 'E:',
    backup_files: 'E:',
  },
  path_segments: {
    middle_path: 'all/scene',
    version_dir: 'version',
    work_dir: 'work',
    publish_dir: 'publish',
    cache_dir: 'cache',
  },
  templates: {
    working_file: '{drive_working}/{project}/{middle_path}/{episode}/{sequence_clean}/{shot_clean}/{task}/{version_dir}/{filename}',
    render_output: '{drive_render}/{project}/{middle_path}/{episode}/{sequence_clean}/{shot_clean}/{task}/{version_dir}/v{version}/',
    media_file: '{drive_media}/{project}/{middle_path}/{episode}/{sequence_clean}/{shot_clean}/{task}/{version_dir}/v{version}/media/',
  },
  filename_patterns: {
    maya_scene: '{episode}_{sequence_clean}_{shot_clean}_{task}_master_v{version}.ma',
    nuke_script: '{episode}_{sequence_clean}_{shot_clean}_{task}_master_v{version}.nk',
    render_sequence: '{episode}_{sequence_clean}_{shot_clean}_{task}_v{version}.{frame}.{ext}',
  },
  task_types: ['modeling', 'rigging', 'animation', 'layout', 'lighting', 'comp', 'fx', 'lookdev'],
  milestones: ['not_started', 'single_frame', 'low_quality', 'final_render', 'final_comp', 'approved'],
  priority_levels: ['low', 'medium', 'high', 'urgent'],
} as const;

/** The spec's created/updated time for SWA, for seeds that reproduce its listing. */
export const SWA_TIMESTAMP = '2025-08-29T10:00:00Z';
