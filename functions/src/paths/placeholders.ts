// The Path Builder's vocabulary: the placeholders templates and filename patterns may use, the shapes
// values must have, a project's path configuration, and the text helpers and plan type the
// configuration checks (config-checks.ts), generation (builder.ts) and parsing (parser.ts) share.
// Pure (no Firestore, no I/O) so the rules DCC tools depend on are unit-testable and generating
// thousands of paths costs milliseconds.

/** Drive placeholders and the `drive_mapping` key each one reads. */
export const DRIVE_PLACEHOLDERS = {
  drive_working: 'working_files',
  drive_render: 'render_outputs',
  drive_media: 'media_files',
  drive_cache: 'cache_files',
  drive_backup: 'backup_files',
} as const;
export type DrivePlaceholder = keyof typeof DRIVE_PLACEHOLDERS;
export type DriveKey = (typeof DRIVE_PLACEHOLDERS)[DrivePlaceholder];
export const DRIVE_KEYS = Object.values(DRIVE_PLACEHOLDERS) as DriveKey[];

/** A value a task contributes to a path: one path segment, never a separator or `..`. */
export const VALUE_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,98}[A-Za-z0-9_-])?$/;
export const VALUE_RULE = 'letters, digits, _, - and . (not at the end, no ..), starting with a letter or digit, at most 100 characters';
/** Versions as clients send them: 3, "003", "v003". */
export const VERSION_PATTERN = /^[vV]?\d{1,5}$/;
/** Frame numbers, or a DCC frame token: `####` or `%04d`. */
export const FRAME_TOKEN_PATTERN = /^(?:#{1,10}|%0\d{1,2}d)$/;
export const EXT_PATTERN = /^\.?[A-Za-z0-9]{1,10}$/;
export const DEFAULT_FRAME_PADDING = 4;
/** Names of templates, filename patterns and path segments (they become placeholders or keys). */
export const NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * How a placeholder's text reads back out of a path: characters allowed first, then, and last, and a
 * minimum length. Never `/`, so a value stays inside its path segment.
 */
export interface Span {
  first: RegExp;
  rest: RegExp;
  last: RegExp;
  min: number;
}
const RAW: Span = { first: /[A-Za-z0-9]/, rest: /[A-Za-z0-9_.-]/, last: /[A-Za-z0-9_-]/, min: 1 };
const CLEAN: Span = { first: /[a-z0-9]/, rest: /[a-z0-9]/, last: /[a-z0-9]/, min: 1 };
const DIGITS = (min: number): Span => ({ first: /\d/, rest: /\d/, last: /\d/, min });
const HASHES: Span = { first: /#/, rest: /#/, last: /#/, min: 1 };
const ALNUM: Span = { first: /[A-Za-z0-9]/, rest: /[A-Za-z0-9]/, last: /[A-Za-z0-9]/, min: 1 };
export const PRINTF_FRAME = /^%0\d{1,2}d/;

/** Placeholders filled from a task (or derived from it), with how each reads back out of a path. */
export const TASK_PLACEHOLDERS = {
  episode: { spans: [RAW], about: 'the episode as given, e.g. Ep00' },
  sequence: { spans: [RAW], about: 'the sequence as given, e.g. SQ0010' },
  shot: { spans: [RAW], about: 'the shot as given, e.g. SH0020' },
  task: { spans: [RAW], about: 'the task type, e.g. lighting' },
  artist: { spans: [RAW], about: 'the artist, e.g. john_doe' },
  episode_clean: { spans: [CLEAN], about: 'episode without non-alphanumerics, lower-cased: Ep_00 → ep00' },
  sequence_clean: { spans: [CLEAN], about: 'sequence without non-alphanumerics, lower-cased: SQ0010 → sq0010' },
  shot_clean: { spans: [CLEAN], about: 'shot without non-alphanumerics, lower-cased: SH-0020 → sh0020' },
  version: { spans: [DIGITS(3)], about: 'version digits, at least 3: 3, "003" and "v003" all give 003' },
  frame: { spans: [DIGITS(1), HASHES], about: `frame number zero-padded to frame_padding (default ${DEFAULT_FRAME_PADDING}), or a token such as #### or %04d` },
  ext: { spans: [ALNUM], about: 'file extension without the dot, e.g. exr' },
} as const satisfies Record<string, { spans: readonly Span[]; about: string }>;
export type TaskPlaceholder = keyof typeof TASK_PLACEHOLDERS;
export const TASK_PLACEHOLDER_NAMES = Object.keys(TASK_PLACEHOLDERS) as TaskPlaceholder[];

/** Placeholders that are not task values: the project, drives, path segments, the filename. */
export const PROJECT_PLACEHOLDERS = {
  project: 'the project id, e.g. SWA',
  filename: 'the file name made from the filename pattern (templates only)',
  ...Object.fromEntries(Object.entries(DRIVE_PLACEHOLDERS).map(([p, key]) => [p, `drive_mapping.${key}`])),
} as Record<string, string>;

export interface PathConfig {
  id: string;
  drive_mapping: Partial<Record<DriveKey, string>>;
  path_segments: Record<string, string>;
  templates: Record<string, string>;
  filename_patterns: Record<string, string>;
}

/** What a task contributes; strings as the client sent them, already shape-checked or not. */
export interface TaskValues {
  episode?: string | undefined;
  sequence?: string | undefined;
  shot?: string | undefined;
  task?: string | undefined;
  artist?: string | undefined;
  version?: string | number | undefined;
  frame?: string | number | undefined;
  frame_padding?: number | undefined;
  ext?: string | undefined;
  /** A literal file name, for templates with `{filename}` when no filename pattern is given. */
  filename?: string | undefined;
}

export type Token = { lit: string } | { ph: string };
/** A compiled part: literal text (constants already substituted) or a task placeholder / filename. */
export type Part = string | { v: TaskPlaceholder | 'filename' };

/** One template (with one filename pattern, or none) compiled for a project: what generation renders and parsing matches. */
export interface Plan {
  template: string;
  pattern: string | null;
  /** Template parts; a `filename` part stands for `patternParts`. */
  parts: Part[];
  patternParts: Part[] | null;
  /** Task placeholders the plan needs, in component order. */
  variables: TaskPlaceholder[];
  needsFilename: boolean;
  /** The drive root the template starts from, and the project when a part uses it. */
  drive: string | null;
  project: string | null;
}

// ---------------------------------------------------------------------------------------------
// Text helpers

/** `SQ0010`, `sq-0010`, `Sq_0010` all become `sq0010`. */
export function cleanValue(value: string): string {
  return value.replace(/[^A-Za-z0-9]/g, '').toLowerCase();
}

/** 3, "003", "v3", "V003" → "003"; null when it is not a version. */
export function versionDigits(version: string | number): string | null {
  if (typeof version === 'number') return Number.isInteger(version) && version >= 0 && version <= 99999 ? String(version).padStart(3, '0') : null;
  return VERSION_PATTERN.test(version) ? String(Number(version.replace(/^[vV]/, ''))).padStart(3, '0') : null;
}

/** Backslashes become slashes, doubled separators collapse (a leading UNC `//` stays), a drive letter is upper-cased. */
export function normalizePath(path: string): string {
  const slashes = path.trim().replace(/\\/g, '/');
  const collapsed = slashes.startsWith('//') ? `/${slashes.slice(1).replace(/\/{2,}/g, '/')}` : slashes.replace(/\/{2,}/g, '/');
  return /^[a-z]:/.test(collapsed) ? collapsed[0]!.toUpperCase() + collapsed.slice(1) : collapsed;
}

/** A drive root as it is joined to the rest: normalized, without trailing slashes (`/` becomes ``). */
export function driveRoot(value: string): string {
  return normalizePath(value).replace(/\/+$/, '');
}

/** A path segment as it is put into a template: normalized, without leading or trailing slashes. */
export function segmentText(value: string): string {
  return normalizePath(value).replace(/^\/+|\/+$/g, '');
}

/** Splits `{a}_x{b}` into tokens; reports braces that do not form `{name}`. */
export function tokenize(text: string): { tokens: Token[] } | { error: string } {
  const tokens: Token[] = [];
  const re = /\{([^{}]*)\}|[{}]/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[1] === undefined) return { error: `Unbalanced '${m[0]}' at character ${m.index + 1}` };
    if (!/^[a-z][a-z0-9_]*$/.test(m[1])) return { error: `Placeholder {${m[1]}} is not a valid name (lower-case letters, digits, _)` };
    if (m.index > last) tokens.push({ lit: text.slice(last, m.index) });
    tokens.push({ ph: m[1] });
    last = m.index + m[0].length;
  }
  if (last < text.length) tokens.push({ lit: text.slice(last) });
  return { tokens };
}

export function placeholdersOf(tokens: Token[]): string[] {
  return tokens.flatMap((t) => ('ph' in t ? [t.ph] : []));
}

export const isTaskPlaceholder = (name: string): name is TaskPlaceholder => Object.hasOwn(TASK_PLACEHOLDERS, name);
export const isDrivePlaceholder = (name: string): name is DrivePlaceholder => Object.hasOwn(DRIVE_PLACEHOLDERS, name);

/** Adjacent literals joined into one, empty ones dropped. */
export function mergeLiterals(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    const last = out.at(-1);
    if (typeof p === 'string' && typeof last === 'string') out[out.length - 1] = last + p;
    else if (p !== '') out.push(p);
  }
  return out;
}

/** How messages name a plan: `working_file with pattern maya_scene`. */
export function describePlan(plan: Plan): string {
  return plan.pattern ? `${plan.template} with pattern ${plan.pattern}` : plan.template;
}
