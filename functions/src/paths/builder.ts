// The Path Builder: turns a project's drives, path segments, templates and filename patterns into
// file paths, and parses paths back. Pure (no Firestore, no I/O) so the rules DCC tools depend on are
// unit-testable and generating thousands of paths costs milliseconds.

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
interface Span {
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
const PRINTF_FRAME = /^%0\d{1,2}d/;

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
const TASK_PLACEHOLDER_NAMES = Object.keys(TASK_PLACEHOLDERS) as TaskPlaceholder[];

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

export interface ConfigIssue {
  field: string;
  issue: string;
}

export interface GenerateRequest {
  template: string;
  pattern?: string | undefined;
  values: TaskValues;
}

export interface Generated {
  ok: true;
  path: string;
  components: Record<string, string>;
  template: string;
  pattern: string | null;
}

export interface GenerateFailure {
  ok: false;
  kind: 'unknown_template' | 'unknown_pattern' | 'missing' | 'invalid';
  message: string;
  /** Placeholder names without a value. */
  missing?: string[];
  /** Placeholder names whose value cannot be used, and why. */
  invalid?: { placeholder: string; issue: string }[];
  available?: string[];
}

export interface ValidPath {
  valid: true;
  path: string;
  template: string;
  pattern: string | null;
  components: Record<string, string>;
}

export interface InvalidPath {
  valid: false;
  path: string;
  message: string;
  /** The template (and pattern) that matched furthest, and where it stopped. */
  closest: { template: string; pattern: string | null; position: number; matched: string; expected: string; found: string } | null;
}

export interface DirectoryPlanRequest {
  episodes: string[];
  sequences: string[];
  shots: string[];
  task_types: string[];
  version?: string | number | undefined;
  templates?: string[] | undefined;
}

type Token = { lit: string } | { ph: string };
/** A compiled part: literal text (constants already substituted) or a task placeholder / filename. */
type Part = string | { v: TaskPlaceholder | 'filename' };

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
function driveRoot(value: string): string {
  return normalizePath(value).replace(/\/+$/, '');
}

/** A path segment as it is put into a template: normalized, without leading or trailing slashes. */
function segmentText(value: string): string {
  return normalizePath(value).replace(/^\/+|\/+$/g, '');
}

const LEADING_DRIVE_LETTER = /^[A-Za-z]:/;
const hasParentStep = (text: string) => text.split(/[/\\]/).includes('..');

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

function placeholdersOf(tokens: Token[]): string[] {
  return tokens.flatMap((t) => ('ph' in t ? [t.ph] : []));
}

// ---------------------------------------------------------------------------------------------
// Configuration checks

const isTaskPlaceholder = (name: string): name is TaskPlaceholder => Object.hasOwn(TASK_PLACEHOLDERS, name);
const isDrivePlaceholder = (name: string): name is DrivePlaceholder => Object.hasOwn(DRIVE_PLACEHOLDERS, name);
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

// ---------------------------------------------------------------------------------------------
// Compilation and generation

interface Plan {
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

type Resolved = Partial<Record<TaskPlaceholder, string>>;

export class PathConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`The project's path configuration is invalid: ${issues.map((i) => `${i.field}: ${i.issue}`).join('; ')}`);
  }
}

/** A project's path configuration, compiled once; reuse it for every path of a request or batch. */
export class PathBuilder {
  private readonly templates = new Map<string, { parts: Part[]; drive: string | null; project: boolean }>();
  private readonly patterns = new Map<string, { parts: Part[]; project: boolean }>();
  private readonly plans = new Map<string, Plan>();
  private matchers: Matcher[] | null = null;

  /** Throws PathConfigError listing every problem when the configuration is not usable. */
  static compile(config: PathConfig): PathBuilder {
    const issues = configIssues(config);
    if (issues.length) throw new PathConfigError(issues);
    return new PathBuilder(config);
  }

  private constructor(private readonly config: PathConfig) {
    const segments = Object.fromEntries(Object.entries(config.path_segments).map(([k, v]) => [k, segmentText(v)]));
    const constants = (name: string): string | undefined => {
      if (name === 'project') return config.id;
      if (isDrivePlaceholder(name)) return driveRoot(config.drive_mapping[DRIVE_PLACEHOLDERS[name]]!);
      return segments[name];
    };
    for (const [name, text] of Object.entries(config.templates)) {
      const tokens = (tokenize(text) as { tokens: Token[] }).tokens;
      const first = tokens[0];
      const drive = first && 'ph' in first && isDrivePlaceholder(first.ph) ? constants(first.ph)! : null;
      this.templates.set(name, { parts: compileParts(tokens, constants, true), drive, project: placeholdersOf(tokens).includes('project') });
    }
    for (const [name, text] of Object.entries(config.filename_patterns)) {
      const tokens = (tokenize(text) as { tokens: Token[] }).tokens;
      this.patterns.set(name, { parts: compileParts(tokens, constants, false), project: placeholdersOf(tokens).includes('project') });
    }
  }

  get templateNames(): string[] {
    return [...this.templates.keys()];
  }

  get patternNames(): string[] {
    return [...this.patterns.keys()];
  }

  private plan(template: string, pattern: string | null): Plan | GenerateFailure {
    const key = `${template}\u0000${pattern ?? ''}`;
    const cached = this.plans.get(key);
    if (cached) return cached;
    const t = this.templates.get(template);
    if (!t) return { ok: false, kind: 'unknown_template', message: `Project ${this.config.id} has no template '${template}'`, available: this.templateNames };
    const p = pattern === null ? null : this.patterns.get(pattern);
    if (p === undefined) return { ok: false, kind: 'unknown_pattern', message: `Project ${this.config.id} has no filename pattern '${pattern}'`, available: this.patternNames };
    let parts = t.parts;
    const hasFilename = parts.some((x) => typeof x !== 'string' && x.v === 'filename');
    // A directory template (render_output, media_file) with a pattern: the file goes inside it.
    if (p && !hasFilename) {
      const last = parts.at(-1);
      parts = [...(typeof last === 'string' && last.endsWith('/') ? parts : [...parts, '/']), { v: 'filename' }];
    }
    const vars = (list: Part[]) => list.flatMap((x) => (typeof x === 'string' || x.v === 'filename' ? [] : [x.v]));
    const variables = [...new Set([...vars(parts), ...(p ? vars(p.parts) : [])])];
    const plan: Plan = {
      template,
      pattern,
      parts: mergeLiterals(parts),
      patternParts: p ? p.parts : null,
      variables,
      needsFilename: parts.some((x) => typeof x !== 'string' && x.v === 'filename'),
      drive: t.drive,
      project: t.project || p?.project ? this.config.id : null,
    };
    this.plans.set(key, plan);
    return plan;
  }

  /** One path from a template (and filename pattern) and a task's values. */
  generate(request: GenerateRequest): Generated | GenerateFailure {
    const plan = this.plan(request.template, request.pattern ?? null);
    if ('ok' in plan) return plan;
    const resolved: Resolved = {};
    let missing: string[] | undefined;
    let invalid: { placeholder: string; issue: string }[] | undefined;
    for (const name of plan.variables) {
      const value = resolve(name, request.values);
      if (value === undefined) (missing ??= []).push(name);
      else if (typeof value === 'object') (invalid ??= []).push(value);
      else resolved[name] = value;
    }
    let filename: string | undefined;
    if (plan.needsFilename) {
      if (plan.patternParts) filename = missing || invalid ? undefined : render(plan.patternParts, resolved, '');
      else if (request.values.filename === undefined) (missing ??= []).push('filename');
      else if (!VALUE_PATTERN.test(request.values.filename)) (invalid ??= []).push({ placeholder: 'filename', issue: `filename must be ${VALUE_RULE}` });
      else filename = request.values.filename;
    }
    if (missing || invalid) return failure(plan, missing, invalid);
    const path = render(plan.parts, resolved, filename ?? '');
    return { ok: true, path, components: components(plan, resolved, filename), template: plan.template, pattern: plan.pattern };
  }

  /** Parses a path back: which template and pattern it follows and its components, or where it stops matching. */
  validate(rawPath: string): ValidPath | InvalidPath {
    const path = normalizePath(rawPath);
    const matchers = this.allMatchers();
    const subject = (m: Matcher) => (m.directory && !path.endsWith('/') ? `${path}/` : path);
    const budget = { steps: MAX_MATCH_STEPS };
    let inconsistent: InvalidPath | undefined;
    let exhausted = false;
    for (const m of matchers) {
      const s = subject(m);
      if (m.suffix && !s.endsWith(m.suffix)) continue;
      const outcome = matchParts(m, s, budget);
      if (outcome === 'exhausted') {
        exhausted = true;
        break;
      }
      if (!outcome) continue;
      const frame = outcome.frame;
      const values: TaskValues = {
        episode: outcome.episode ?? outcome.episode_clean,
        sequence: outcome.sequence ?? outcome.sequence_clean,
        shot: outcome.shot ?? outcome.shot_clean,
        task: outcome.task,
        artist: outcome.artist,
        version: outcome.version,
        frame: frame !== undefined && /^\d+$/.test(frame) ? Number(frame) : frame,
        frame_padding: frame !== undefined && /^\d+$/.test(frame) ? frame.length : undefined,
        ext: outcome.ext,
      };
      const again = this.generate({ template: m.plan.template, pattern: m.plan.pattern ?? undefined, values });
      // Components must regenerate the very same path: this catches derived values that disagree
      // (sequence SQ010 beside sequence_clean sq020) and values the generator would refuse.
      if (again.ok && (again.path === path || (again.path.endsWith('/') && again.path === `${path}/`))) {
        return { valid: true, path: again.path, template: m.plan.template, pattern: m.plan.pattern, components: again.components };
      }
      inconsistent ??= {
        valid: false,
        path,
        message: `Path has the shape of template ${describePlan(m.plan)} but ${again.ok ? `its parts regenerate as ${again.path}` : again.message}`,
        closest: null,
      };
    }
    if (inconsistent) return inconsistent;
    // No template matched: a second pass, with its own budget, records how far each one got.
    const far = { best: null as Furthest | null };
    const explainBudget = { steps: MAX_MATCH_STEPS };
    for (const m of matchers) if (matchParts(m, subject(m), explainBudget, far) === 'exhausted') break;
    return this.explainMismatch(path, far.best, exhausted || explainBudget.steps < 0);
  }

  /** The folder tree for the given shots: every directory (with its parents below the drive) the templates lead to. */
  planDirectories(request: DirectoryPlanRequest, limit: number): { directories: string[] } | GenerateFailure | { ok: false; kind: 'too_many'; message: string } {
    const names = request.templates ?? this.templateNames;
    const out = new Set<string>();
    for (const name of names) {
      const t = this.templates.get(name);
      if (!t) return { ok: false, kind: 'unknown_template', message: `Project ${this.config.id} has no template '${name}'`, available: this.templateNames };
      const parts = directoryParts(t.parts, request);
      if (!parts) continue;
      const dims = dimensions(parts, request);
      const combinations = dims.reduce((n, d) => n * d.values.length, 1);
      if (combinations > limit) return { ok: false, kind: 'too_many', message: `Template ${name} alone would plan ${combinations} directories; at most ${limit} per request` };
      for (const values of cartesian(dims, request.version)) {
        const resolved: Resolved = {};
        for (const v of new Set(parts.flatMap((p) => (typeof p === 'string' || p.v === 'filename' ? [] : [p.v])))) {
          const r = resolve(v, values);
          if (typeof r !== 'string') return { ok: false, kind: 'invalid', message: `Cannot plan ${name}: ${r ? r.issue : `no value for {${v}}`}`, invalid: r ? [r] : [] };
          resolved[v] = r;
        }
        const dir = render(parts, resolved, '').replace(/\/+$/, '');
        const root = t.drive ?? '';
        for (let i = dir.indexOf('/', root.length + 1); ; i = dir.indexOf('/', i + 1)) {
          out.add(i === -1 ? dir : dir.slice(0, i));
          if (i === -1) break;
        }
        if (out.size > limit) return { ok: false, kind: 'too_many', message: `The request plans more than ${limit} directories; split it (fewer episodes, sequences or shots per call)` };
      }
    }
    return { directories: [...out].filter((d) => d.length > 0).sort() };
  }

  private allMatchers(): Matcher[] {
    if (this.matchers) return this.matchers;
    const matchers: Matcher[] = [];
    for (const template of this.templates.keys()) {
      const hasFilename = this.templates.get(template)!.parts.some((x) => typeof x !== 'string' && x.v === 'filename');
      const candidates: (string | null)[] = hasFilename ? [...this.patterns.keys()] : [...this.patterns.keys(), null];
      for (const pattern of candidates) {
        const plan = this.plan(template, pattern) as Plan;
        const parts = flatten(plan);
        const last = parts.at(-1);
        matchers.push({
          plan,
          parts,
          directory: !plan.needsFilename && typeof last === 'string' && last.endsWith('/'),
          keyNames: keyNames(parts),
          nextLiteral: parts.map((_, k) => parts.slice(k).find((p): p is string => typeof p === 'string')),
          suffix: typeof last === 'string' ? last : undefined,
        });
      }
    }
    // Paths with a file name are tried before bare directories, and templates in the project's order.
    this.matchers = matchers.sort((a, b) => Number(a.plan.pattern === null) - Number(b.plan.pattern === null));
    return this.matchers;
  }

  /** Names the template and pattern that matched the longest prefix of the path, and says what came next. */
  private explainMismatch(path: string, best: Furthest | null, exhausted: boolean): InvalidPath {
    if (!best) return { valid: false, path, message: `Project ${this.config.id} has no templates to match against`, closest: null };
    const position = Math.min(best.position, path.length);
    const next = best.next;
    const expected =
      next === undefined
        ? 'end of path'
        : typeof next === 'string'
          ? `'${next}'`
          : best.spans[next.v] !== undefined
            ? `{${next.v}} again ('${best.text.slice(...best.spans[next.v]!)}', as earlier in the path)`
            : describePlaceholder(next.v);
    const found = path.slice(position) || 'end of path';
    return {
      valid: false,
      path,
      message:
        `Path follows template ${describePlan(best.plan)} up to character ${position} ('${path.slice(0, position)}'), then expected ${expected} but found '${found}'` +
        (exhausted ? ` (checking stopped after ${MAX_MATCH_STEPS} steps: adjacent placeholders make this path too ambiguous to check against every template)` : ''),
      closest: { template: best.plan.template, pattern: best.plan.pattern, position, matched: path.slice(0, position), expected, found },
    };
  }
}

function compileParts(tokens: Token[], constant: (name: string) => string | undefined, isTemplate: boolean): Part[] {
  const parts: Part[] = tokens.map((t) => {
    if ('lit' in t) return t.lit;
    if (isTaskPlaceholder(t.ph)) return { v: t.ph };
    if (t.ph === 'filename' && isTemplate) return { v: 'filename' };
    return constant(t.ph)!;
  });
  const merged = mergeLiterals(parts);
  // Constants may bring doubled separators (an empty segment, a drive ending in /): collapse them here,
  // once, so generation is plain concatenation. A leading UNC `//` stays.
  return merged.map((p, i) => (typeof p === 'string' ? (i === 0 && p.startsWith('//') ? `/${p.slice(1).replace(/\/{2,}/g, '/')}` : p.replace(/\/{2,}/g, '/')) : p));
}

function mergeLiterals(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    const last = out.at(-1);
    if (typeof p === 'string' && typeof last === 'string') out[out.length - 1] = last + p;
    else if (p !== '') out.push(p);
  }
  return out;
}

function render(parts: Part[], resolved: Resolved, filename: string): string {
  let out = '';
  for (const p of parts) out += typeof p === 'string' ? p : p.v === 'filename' ? filename : resolved[p.v]!;
  return out;
}

function resolve(name: TaskPlaceholder, values: TaskValues): string | { placeholder: string; issue: string } | undefined {
  switch (name) {
    case 'episode':
    case 'sequence':
    case 'shot':
    case 'task':
    case 'artist': {
      const v = values[name];
      if (v === undefined || v === '') return undefined;
      return VALUE_PATTERN.test(v) && !v.includes('..') ? v : { placeholder: name, issue: `${name} '${v}' must be ${VALUE_RULE}` };
    }
    case 'episode_clean':
    case 'sequence_clean':
    case 'shot_clean': {
      const source = name.slice(0, -'_clean'.length) as 'episode' | 'sequence' | 'shot';
      const v = values[source];
      if (v === undefined || v === '') return undefined;
      const clean = cleanValue(v);
      return clean ? clean : { placeholder: name, issue: `${source} '${v}' has no letters or digits, so {${name}} would be empty` };
    }
    case 'version': {
      if (values.version === undefined || values.version === '') return undefined;
      return versionDigits(values.version) ?? { placeholder: 'version', issue: `version '${values.version}' must be a number 0-99999, "003" or "v003"` };
    }
    case 'frame': {
      const f = values.frame;
      if (f === undefined || f === '') return undefined;
      const padding = values.frame_padding ?? DEFAULT_FRAME_PADDING;
      if (typeof f === 'number' || /^\d+$/.test(f)) {
        const n = Number(f);
        return Number.isInteger(n) && n >= 0 && n <= 99_999_999 ? String(n).padStart(padding, '0') : { placeholder: 'frame', issue: `frame ${f} must be a whole number 0-99999999` };
      }
      return FRAME_TOKEN_PATTERN.test(f) ? f : { placeholder: 'frame', issue: `frame '${f}' must be a number or a token such as #### or %04d` };
    }
    case 'ext': {
      if (values.ext === undefined || values.ext === '') return undefined;
      return EXT_PATTERN.test(values.ext) ? values.ext.replace(/^\./, '') : { placeholder: 'ext', issue: `ext '${values.ext}' must be 1-10 letters or digits, e.g. exr` };
    }
  }
}

function components(plan: Plan, resolved: Resolved, filename: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (plan.drive !== null) out.drive = plan.drive;
  if (plan.project !== null) out.project = plan.project;
  for (const v of plan.variables) out[v] = v === 'version' ? `v${resolved.version}` : resolved[v]!;
  if (filename !== undefined) out.filename = filename;
  return out;
}

function failure(plan: Plan, missing: string[] | undefined, invalid: { placeholder: string; issue: string }[] | undefined): GenerateFailure {
  const where = describePlan(plan);
  if (invalid) {
    return { ok: false, kind: 'invalid', message: `Cannot fill ${where}: ${invalid.map((i) => i.issue).join('; ')}`, invalid, ...(missing ? { missing } : {}) };
  }
  const named = missing!.map((m) => (m.endsWith('_clean') ? `{${m}} (from ${m.slice(0, -'_clean'.length)})` : `{${m}}`));
  return { ok: false, kind: 'missing', message: `Missing values for ${where}: ${named.join(', ')}`, missing: missing! };
}

function describePlan(plan: Plan): string {
  return plan.pattern ? `${plan.template} with pattern ${plan.pattern}` : plan.template;
}

function describePlaceholder(name: TaskPlaceholder | 'filename'): string {
  return name === 'filename' ? '{filename}' : `{${name}} (${TASK_PLACEHOLDERS[name].about})`;
}

/** The plan's parts with the filename pattern inlined, merged into the fewest literals. */
function flatten(plan: Plan): Part[] {
  return mergeLiterals(plan.parts.flatMap((p) => (typeof p !== 'string' && p.v === 'filename' ? plan.patternParts ?? [p] : [p])));
}

interface Matcher {
  plan: Plan;
  /** The plan's parts with the filename pattern inlined. */
  parts: Part[];
  /** A directory template: the path's trailing separator is optional. */
  directory: boolean;
  /** Per part: placeholders captured before it and used again from it on (they shape what can still match). */
  keyNames: string[][];
  /** Per part: the next literal part from it on, if any. */
  nextLiteral: (string | undefined)[];
  /** The literal the path must end with, when the parts end with one. */
  suffix: string | undefined;
}

interface Furthest {
  plan: Plan;
  position: number;
  /** The part that did not match there (undefined: the path should have ended). */
  next: Part | undefined;
  /** What the placeholders had captured there, as offsets into `text`. */
  spans: Record<string, [number, number]>;
  text: string;
}

/**
 * Placeholders used again later make the state depend on what they captured, so a long segment of
 * adjacent ones repeated elsewhere can still have very many splits. One validation takes at most
 * this many steps over all templates (a real path needs a few dozen per template), which bounds a
 * hostile path's cost; when they run out the answer says so.
 */
export const MAX_MATCH_STEPS = 20_000;

function keyNames(parts: Part[]): string[][] {
  const names = (from: number, to: number) => new Set(parts.slice(from, to).flatMap((p) => (typeof p === 'string' ? [] : [p.v])));
  return parts.map((_, k) => {
    const later = names(k, parts.length);
    return [...names(0, k)].filter((n) => later.has(n));
  });
}

/** Where a placeholder's text may end when it starts at `i`, longest first. */
function spanEnds(name: TaskPlaceholder | 'filename', s: string, i: number): number[] {
  const ends: number[] = [];
  if (name === 'frame') {
    const printf = PRINTF_FRAME.exec(s.slice(i, i + 6));
    if (printf) ends.push(i + printf[0].length);
  }
  const spans = name === 'filename' ? [{ first: /[^/]/, rest: /[^/]/, last: /[^/]/, min: 1 }] : TASK_PLACEHOLDERS[name].spans;
  for (const span of spans) {
    if (i >= s.length || !span.first.test(s[i]!)) continue;
    let j = i + 1;
    while (j < s.length && span.rest.test(s[j]!)) j++;
    for (let end = j; end - i >= span.min; end--) if (span.last.test(s[end - 1]!)) ends.push(end);
  }
  // One span already lists its ends longest first; only frame's alternatives need merging.
  return spans.length > 1 || name === 'frame' ? ends.sort((a, b) => b - a) : ends;
}

/**
 * Matches a path against a plan's parts: a placeholder's first use captures its text, later uses
 * must repeat it. Failed (part, position, relevant captures) states are remembered and the steps
 * are bounded, so adjacent or ambiguous placeholders never cost the exponential backtracking a
 * regex would allow on a hostile path. Returns the captured text, null, or 'exhausted' when the
 * budget ran out; with `far`, also records the furthest position any attempt reached.
 */
function matchParts(m: Matcher, s: string, budget: { steps: number }, far?: { best: Furthest | null }): Record<string, string> | null | 'exhausted' {
  const { parts } = m;
  const failed = new Set<number | string>();
  const endsAt = new Map<string, number[]>();
  const ends = (name: TaskPlaceholder | 'filename', i: number) => {
    const key = `${name}:${i}`;
    let found = endsAt.get(key);
    if (!found) endsAt.set(key, (found = spanEnds(name, s, i)));
    return found;
  };
  // The next literal must still occur after a placeholder: ends past its last occurrence cannot match.
  const limits = m.nextLiteral.map((literal) => (literal === undefined ? s.length : s.lastIndexOf(literal)));
  // Captures as [start, end] offsets: cheap to copy and to put in a memo key, however long the text.
  const spans: Record<string, [number, number]> = {};
  const reached = (position: number, next: Part | undefined) => {
    if (far && position > (far.best?.position ?? -1)) far.best = { plan: m.plan, position, next, spans: { ...spans }, text: s };
  };
  const step = (k: number, i: number): boolean => {
    if (--budget.steps < 0) throw budget;
    reached(i, parts[k]);
    if (k === parts.length) return i === s.length;
    const names = m.keyNames[k]!;
    let key: number | string = k * (s.length + 1) + i;
    for (const n of names) key = `${key}:${spans[n]![0]}-${spans[n]![1]}`;
    if (failed.has(key)) return false;
    const part = parts[k]!;
    let ok = false;
    if (typeof part === 'string') ok = s.startsWith(part, i) && step(k + 1, i + part.length);
    else if (spans[part.v]) {
      const [a, b] = spans[part.v]!;
      ok = s.startsWith(s.slice(a, b), i) && step(k + 1, i + b - a);
    } else {
      // Only ends the following literal can start at, and not past the next literal's last
      // occurrence; the others are only noted as reached (for the mismatch report).
      const next = parts[k + 1];
      for (const end of ends(part.v, i)) {
        spans[part.v] = [i, end];
        if (end > limits[k]! || (typeof next === 'string' && !s.startsWith(next, end))) {
          reached(end, next);
          continue;
        }
        if ((ok = step(k + 1, end))) break;
      }
      if (!ok) delete spans[part.v];
    }
    if (!ok) failed.add(key);
    return ok;
  };
  try {
    return step(0, 0) ? Object.fromEntries(Object.entries(spans).map(([n, [a, b]]) => [n, s.slice(a, b)])) : null;
  } catch (err) {
    if (err !== budget) throw err;
    return 'exhausted';
  }
}

/**
 * The directory part of a template: up to the first placeholder the request gives no value for
 * (always `{filename}`, `{frame}`, `{ext}`, `{artist}`), cut at the last separator before it.
 * Null when nothing is left.
 */
function directoryParts(parts: Part[], request: DirectoryPlanRequest): Part[] | null {
  const given: Partial<Record<TaskPlaceholder | 'filename', boolean>> = {
    episode: request.episodes.length > 0,
    sequence: request.sequences.length > 0,
    shot: request.shots.length > 0,
    task: request.task_types.length > 0,
    version: request.version !== undefined,
  };
  const stop = parts.findIndex((p) => typeof p !== 'string' && !given[p.v.replace(/_clean$/, '') as TaskPlaceholder]);
  if (stop === -1) return parts;
  const head = parts.slice(0, stop);
  const lastLiteral = head.findLastIndex((p) => typeof p === 'string' && p.includes('/'));
  if (lastLiteral === -1) return null;
  const literal = head[lastLiteral] as string;
  return [...head.slice(0, lastLiteral), literal.slice(0, literal.lastIndexOf('/') + 1)];
}

type Dimension = { key: 'episode' | 'sequence' | 'shot' | 'task'; values: string[] };

function dimensions(parts: Part[], request: DirectoryPlanRequest): Dimension[] {
  const used = new Set(parts.flatMap((p) => (typeof p === 'string' ? [] : [p.v.replace(/_clean$/, '')])));
  const all: Dimension[] = [
    { key: 'episode', values: request.episodes },
    { key: 'sequence', values: request.sequences },
    { key: 'shot', values: request.shots },
    { key: 'task', values: request.task_types },
  ];
  return all.filter((d) => used.has(d.key));
}

function* cartesian(dims: Dimension[], version: string | number | undefined): Generator<TaskValues> {
  const index = dims.map(() => 0);
  for (;;) {
    const values: TaskValues = { version };
    dims.forEach((d, i) => (values[d.key] = d.values[index[i]!]));
    yield values;
    let i = dims.length - 1;
    while (i >= 0 && ++index[i]! === dims[i]!.values.length) index[i--] = 0;
    if (i < 0) return;
  }
}
