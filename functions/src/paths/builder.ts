// Path generation: a project's path configuration compiled once (PathBuilder.compile), then paths
// for a task's values and the folder trees for shots. Parsing paths back is parser.ts; checking a
// configuration is config-checks.ts.
import { configIssues, type ConfigIssue } from './config-checks.js';
import { PathParser, type InvalidPath, type ValidPath } from './parser.js';
import {
  cleanValue,
  DEFAULT_FRAME_PADDING,
  describePlan,
  DRIVE_PLACEHOLDERS,
  driveRoot,
  EXT_PATTERN,
  FRAME_TOKEN_PATTERN,
  isDrivePlaceholder,
  isTaskPlaceholder,
  mergeLiterals,
  placeholdersOf,
  segmentText,
  tokenize,
  VALUE_PATTERN,
  VALUE_RULE,
  versionDigits,
  type Part,
  type PathConfig,
  type Plan,
  type TaskPlaceholder,
  type TaskValues,
  type Token,
} from './placeholders.js';

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

export interface DirectoryPlanRequest {
  episodes: string[];
  sequences: string[];
  shots: string[];
  task_types: string[];
  version?: string | number | undefined;
  templates?: string[] | undefined;
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
  private parser: PathParser | null = null;

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
    this.parser ??= new PathParser(this.config.id, this.parsePlans(), (plan, values) => this.generate({ template: plan.template, pattern: plan.pattern ?? undefined, values }));
    return this.parser.validate(rawPath);
  }

  /** Every template and pattern pair a path may follow: templates with {filename} with each pattern, directory templates also bare. */
  private parsePlans(): Plan[] {
    return [...this.templates].flatMap(([template, t]) => {
      const hasFilename = t.parts.some((x) => typeof x !== 'string' && x.v === 'filename');
      const candidates: (string | null)[] = hasFilename ? [...this.patterns.keys()] : [...this.patterns.keys(), null];
      return candidates.map((pattern) => this.plan(template, pattern) as Plan);
    });
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
