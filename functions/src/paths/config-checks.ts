// Configuration checks: whether a project's drives, path segments, templates and filename patterns
// make a usable Path Builder whose paths stay inside their drive roots. Run when a project is
// created or changed, and again when a stored configuration is compiled.
import {
  DRIVE_PLACEHOLDERS,
  isDrivePlaceholder,
  placeholdersOf,
  PROJECT_PLACEHOLDERS,
  segmentText,
  TASK_PLACEHOLDER_NAMES,
  tokenize,
  type PathConfig,
  type Token,
} from './placeholders.js';

export interface ConfigIssue {
  field: string;
  issue: string;
}

const LEADING_DRIVE_LETTER = /^[A-Za-z]:/;
const hasParentStep = (text: string) => text.split(/[/\\]/).includes('..');
const BUILT_IN_NAMES = new Set([...TASK_PLACEHOLDER_NAMES, ...Object.keys(PROJECT_PLACEHOLDERS)]);

/** Every placeholder a template may use in this configuration. */
export function templatePlaceholders(config: Pick<PathConfig, 'path_segments'>): string[] {
  return [...Object.keys(PROJECT_PLACEHOLDERS), ...Object.keys(config.path_segments), ...TASK_PLACEHOLDER_NAMES];
}

/** Every placeholder a filename pattern may use. */
export function patternPlaceholders(): string[] {
  return ['project', ...TASK_PLACEHOLDER_NAMES];
}

/**
 * Problems with a project's path configuration, each naming its field: unknown placeholders (by
 * name), drives or segments a template uses but the project does not define, separators in
 * filename patterns, segment names that shadow built-in placeholders.
 */
export function configIssues(config: PathConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [key, root] of Object.entries(config.drive_mapping)) {
    const field = `drive_mapping.${key}`;
    if (root === undefined) continue;
    if (hasParentStep(root)) issues.push({ field, issue: 'A drive root may not contain ..' });
    if (root.trim().replace(LEADING_DRIVE_LETTER, '').includes(':')) issues.push({ field, issue: 'A drive root may hold : only in its drive letter (V:)' });
  }
  for (const [name, value] of Object.entries(config.path_segments)) {
    if (BUILT_IN_NAMES.has(name)) issues.push({ field: `path_segments.${name}`, issue: `Segment name '${name}' is a built-in placeholder; choose another name` });
    if (hasParentStep(value)) issues.push({ field: `path_segments.${name}`, issue: 'A path segment may not contain ..' });
  }
  const templateKnown = new Set(templatePlaceholders(config));
  for (const [name, text] of Object.entries(config.templates)) {
    const field = `templates.${name}`;
    const parsed = tokenize(text);
    if ('error' in parsed) {
      issues.push({ field, issue: parsed.error });
      continue;
    }
    const used = placeholdersOf(parsed.tokens);
    const unknown = [...new Set(used.filter((p) => !templateKnown.has(p)))];
    if (unknown.length) issues.push({ field, issue: `Unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((p) => `{${p}}`).join(', ')}` });
    for (const p of new Set(used.filter(isDrivePlaceholder))) {
      const key = DRIVE_PLACEHOLDERS[p];
      if (!config.drive_mapping[key]) issues.push({ field, issue: `{${p}} needs drive_mapping.${key}, which is not set` });
    }
    const escape = templateEscape(parsed.tokens, config);
    if (escape) issues.push({ field, issue: escape });
  }
  const patternKnown = new Set(patternPlaceholders());
  for (const [name, text] of Object.entries(config.filename_patterns)) {
    const field = `filename_patterns.${name}`;
    if (/[/\\]/.test(text)) issues.push({ field, issue: 'A filename pattern makes one file name; it may not contain / or \\' });
    const parsed = tokenize(text);
    if ('error' in parsed) {
      issues.push({ field, issue: parsed.error });
      continue;
    }
    const unknown = [...new Set(placeholdersOf(parsed.tokens).filter((p) => !patternKnown.has(p)))];
    if (unknown.length) {
      issues.push({ field, issue: `Unknown placeholder${unknown.length > 1 ? 's' : ''} ${unknown.map((p) => `{${p}}`).join(', ')} (filename patterns may use ${[...patternKnown].map((p) => `{${p}}`).join(', ')})` });
    }
    if (!text.trim()) issues.push({ field, issue: 'A filename pattern may not be empty' });
  }
  return issues;
}

/**
 * Why a template's paths could leave its drive root, or null. Values a task fills in are one
 * segment of letters, digits, _ - . and never only dots, so the template's own text with its path
 * segments filled in decides: no `..` step, no root of its own (`/...`, `C:`), a drive only first
 * and followed by a separator (`/mnt/projects` + `_x` would be a sibling folder).
 */
function templateEscape(tokens: Token[], config: PathConfig): string | null {
  const first = tokens[0];
  const startsAtDrive = first !== undefined && 'ph' in first && isDrivePlaceholder(first.ph);
  const second = tokens[1];
  if (startsAtDrive && second !== undefined && !('lit' in second && /^[/\\]/.test(second.lit))) return `{${(first as { ph: string }).ph}} must be followed by / or \\`;
  let text = '';
  for (const [i, t] of tokens.entries()) {
    if ('lit' in t) text += t.lit;
    else if (isDrivePlaceholder(t.ph)) {
      if (i > 0) return `{${t.ph}} may only start a template: a drive in the middle of a path starts a new root`;
    } else if (t.ph === 'project') text += config.id;
    else if (Object.hasOwn(config.path_segments, t.ph)) text += segmentText(config.path_segments[t.ph]!);
    else text += 'x';
  }
  if (hasParentStep(text)) return "A template may not contain .. (with its path segments filled in): its paths must stay inside the drive root";
  if (!startsAtDrive && (/^[/\\]/.test(text) || LEADING_DRIVE_LETTER.test(text))) return 'A template starts with a drive placeholder or is relative; it may not name a root of its own (/... or C:)';
  if (text.includes(':')) return 'A template may not contain : (a drive letter would start a new root)';
  return null;
}
