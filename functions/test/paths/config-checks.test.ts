import { describe, expect, it } from 'vitest';
import { PathBuilder, PathConfigError } from '../../src/paths/builder.js';
import { configIssues } from '../../src/paths/config-checks.js';
import { config, swa } from './builder-fixture.js';

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
