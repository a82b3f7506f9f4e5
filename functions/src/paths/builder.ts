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

const RAW = '[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?';
const CLEAN = '[a-z0-9]+';

/** Placeholders filled from a task (or derived from it), with how each reads back out of a path. */
export const TASK_PLACEHOLDERS = {
  episode: { regex: RAW, about: 'the episode as given, e.g. Ep00' },
  sequence: { regex: RAW, about: 'the sequence as given, e.g. SQ0010' },
  shot: { regex: RAW, about: 'the shot as given, e.g. SH0020' },
  task: { regex: RAW, about: 'the task type, e.g. lighting' },
  artist: { regex: RAW, about: 'the artist, e.g. john_doe' },
  episode_clean: { regex: CLEAN, about: 'episode without non-alphanumerics, lower-cased: Ep_00 → ep00' },
  sequence_clean: { regex: CLEAN, about: 'sequence without non-alphanumerics, lower-cased: SQ0010 → sq0010' },
  shot_clean: { regex: CLEAN, about: 'shot without non-alphanumerics, lower-cased: SH-0020 → sh0020' },
  version: { regex: '\\d{3,}', about: 'version digits, at least 3: 3, "003" and "v003" all give 003' },
  frame: { regex: '\\d+|#+|%0\\d+d', about: `frame number zero-padded to frame_padding (default ${DEFAULT_FRAME_PADDING}), or a token such as #### or %04d` },
  ext: { regex: '[A-Za-z0-9]+', about: 'file extension without the dot, e.g. exr' },
} as const;
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

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
  for (const name of Object.keys(config.path_segments)) {
    if (BUILT_IN_NAMES.has(name)) issues.push({ field: `path_segments.${name}`, issue: `Segment name '${name}' is a built-in placeholder; choose another name` });
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
    if (!placeholdersOf(parsed.tokens).length && !text.trim()) issues.push({ field, issue: 'A filename pattern may not be empty' });
  }
  return issues;
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
  private readonly templates = new Map<string, { tokens: Token[]; parts: Part[]; drive: string | null; project: boolean }>();
  private readonly patterns = new Map<string, { parts: Part[]; project: boolean }>();
  private readonly plans = new Map<string, Plan>();
  private matchers: { plan: Plan; regex: RegExp; tokens: Part[] }[] | null = null;

  /** Throws PathConfigError listing every problem when the configuration is not usable. */
  static compile(config: PathConfig): PathBuilder {
    const issues = configIssues(config);
    if (issues.length) throw new PathConfigError(issues);
    return new PathBuilder(config);
  }

  private constructor(private readonly config: PathConfig) {
    const segments = Object.fromEntries(Object.entries(config.path_segments).map(([k, v]) => [k, normalizePath(v).replace(/^\/+|\/+$/g, '')]));
    const constants = (name: string): string | undefined => {
      if (name === 'project') return config.id;
      if (isDrivePlaceholder(name)) return driveRoot(config.drive_mapping[DRIVE_PLACEHOLDERS[name]]!);
      return segments[name];
    };
    for (const [name, text] of Object.entries(config.templates)) {
      const tokens = (tokenize(text) as { tokens: Token[] }).tokens;
      const first = tokens[0];
      const drive = first && 'ph' in first && isDrivePlaceholder(first.ph) ? constants(first.ph)! : null;
      this.templates.set(name, { tokens, parts: compileParts(tokens, constants, true), drive, project: placeholdersOf(tokens).includes('project') });
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
    let inconsistent: InvalidPath | undefined;
    for (const m of matchers) {
      const groups = m.regex.exec(path)?.groups;
      if (!groups) continue;
      const frame = groups.frame;
      const values: TaskValues = {
        episode: groups.episode ?? groups.episode_clean,
        sequence: groups.sequence ?? groups.sequence_clean,
        shot: groups.shot ?? groups.shot_clean,
        task: groups.task,
        artist: groups.artist,
        version: groups.version,
        frame: frame !== undefined && /^\d+$/.test(frame) ? Number(frame) : frame,
        frame_padding: frame !== undefined && /^\d+$/.test(frame) ? frame.length : undefined,
        ext: groups.ext,
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
    return inconsistent ?? this.explainMismatch(path, matchers);
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

  private allMatchers() {
    if (this.matchers) return this.matchers;
    const matchers: { plan: Plan; regex: RegExp; tokens: Part[] }[] = [];
    for (const template of this.templates.keys()) {
      const hasFilename = this.templates.get(template)!.parts.some((x) => typeof x !== 'string' && x.v === 'filename');
      const candidates: (string | null)[] = hasFilename ? [...this.patterns.keys()] : [...this.patterns.keys(), null];
      for (const pattern of candidates) {
        const plan = this.plan(template, pattern) as Plan;
        const tokens = flatten(plan);
        const directory = !plan.needsFilename && typeof tokens.at(-1) === 'string' && (tokens.at(-1) as string).endsWith('/');
        matchers.push({ plan, tokens, regex: new RegExp(`^${regexSource(tokens)}${directory ? '?' : ''}$`) });
      }
    }
    // Paths with a file name are tried before bare directories, and templates in the project's order.
    this.matchers = matchers.sort((a, b) => Number(a.plan.pattern === null) - Number(b.plan.pattern === null));
    return this.matchers;
  }

  /** Finds the template and pattern that match the longest prefix of the path, and says what came next. */
  private explainMismatch(path: string, matchers: { plan: Plan; tokens: Part[] }[]): InvalidPath {
    let best: { plan: Plan; position: number; next: Part | undefined; groups: Record<string, string> } | null = null;
    for (const m of matchers) {
      let position = 0;
      let groups: Record<string, string> = {};
      let k = 0;
      for (; k < m.tokens.length; k++) {
        const match = new RegExp(`^${regexSource(m.tokens.slice(0, k + 1))}`).exec(path);
        if (!match) break;
        position = match[0].length;
        groups = match.groups ?? {};
      }
      if (!best || position > best.position) best = { plan: m.plan, position, next: m.tokens[k], groups };
    }
    if (!best) return { valid: false, path, message: `Project ${this.config.id} has no templates to match against`, closest: null };
    const next = best.next;
    const expected =
      next === undefined
        ? 'end of path'
        : typeof next === 'string'
          ? `'${next}'`
          : next.v !== 'filename' && best.groups[next.v] !== undefined
            ? `{${next.v}} again ('${best.groups[next.v]}', as earlier in the path)`
            : describePlaceholder(next.v);
    const found = path.slice(best.position) || 'end of path';
    return {
      valid: false,
      path,
      message: `Path follows template ${describePlan(best.plan)} up to character ${best.position} ('${path.slice(0, best.position)}'), then expected ${expected} but found '${found}'`,
      closest: { template: best.plan.template, pattern: best.plan.pattern, position: best.position, matched: path.slice(0, best.position), expected, found },
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

/** A regex for the parts: a placeholder's first use captures it, later uses must repeat it. */
function regexSource(parts: Part[]): string {
  const seen = new Set<string>();
  return parts
    .map((p) => {
      if (typeof p === 'string') return escapeRegex(p);
      if (p.v === 'filename') return '[^/]+';
      if (seen.has(p.v)) return `\\k<${p.v}>`;
      seen.add(p.v);
      return `(?<${p.v}>${TASK_PLACEHOLDERS[p.v].regex})`;
    })
    .join('');
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
