// Path parsing: which template and filename pattern a path follows and its components, or where it
// stops matching the closest one. Matching is bounded (memoised failures, a step budget), so a
// hostile path costs no more than a real one many times over.
import { describePlan, mergeLiterals, normalizePath, PRINTF_FRAME, TASK_PLACEHOLDERS, type Part, type Plan, type TaskPlaceholder, type TaskValues } from './placeholders.js';

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

/** Generation, to check that parsed components make the very same path again. */
type Regenerate = (plan: Plan, values: TaskValues) => { ok: true; path: string; components: Record<string, string> } | { ok: false; message: string };

/** A project's paths read back, against its compiled templates and patterns (built by PathBuilder). */
export class PathParser {
  private readonly matchers: Matcher[];

  /** `plans`: every template and pattern pair a path may follow, in the project's template order. */
  constructor(
    private readonly projectId: string,
    plans: Plan[],
    private readonly regenerate: Regenerate,
  ) {
    const matchers = plans.map((plan): Matcher => {
      const parts = flatten(plan);
      const last = parts.at(-1);
      return {
        plan,
        parts,
        directory: !plan.needsFilename && typeof last === 'string' && last.endsWith('/'),
        keyNames: keyNames(parts),
        nextLiteral: parts.map((_, k) => parts.slice(k).find((p): p is string => typeof p === 'string')),
        suffix: typeof last === 'string' ? last : undefined,
      };
    });
    // Paths with a file name are tried before bare directories, and templates in the project's order.
    this.matchers = matchers.sort((a, b) => Number(a.plan.pattern === null) - Number(b.plan.pattern === null));
  }

  /** Parses a path back: which template and pattern it follows and its components, or where it stops matching. */
  validate(rawPath: string): ValidPath | InvalidPath {
    const path = normalizePath(rawPath);
    const { matchers } = this;
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
      const again = this.regenerate(m.plan, values);
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

  /** Names the template and pattern that matched the longest prefix of the path, and says what came next. */
  private explainMismatch(path: string, best: Furthest | null, exhausted: boolean): InvalidPath {
    if (!best) return { valid: false, path, message: `Project ${this.projectId} has no templates to match against`, closest: null };
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
