// Spreadsheets strip leading zeros: `sh020` comes back as `sh20`, a Sequence column of `0010` as
// `10`. Before ids are derived, episode, sequence and shot numbers are brought to the project's
// naming style: a prefix (`sq`) and a digit count (4). The style comes, first found wins, from the
// request's naming_pattern, the project's `naming_pattern`, the project's existing tasks, the
// zero-padded values of the file itself; failing all of those, numbers are kept as written.
import { validationError } from '../http/errors.js';
import type { SegmentKind } from '../tasks/naming.js';

export const SEGMENT_KINDS: readonly SegmentKind[] = ['episode', 'sequence', 'shot'];

/** How one part of a name is written: `sq` + 4 digits. `width` 0 means numbers are not padded. */
export interface SegmentStyle {
  prefix: string;
  width: number;
}

export type NamingStyle = Partial<Record<SegmentKind, SegmentStyle>>;

/** Where the style in use came from (reported with the import). */
export type StyleSource = 'request' | 'project' | 'existing_tasks' | 'file';

/** The prefix a bare number gets when nothing says otherwise (the spec's Ep00, sq0010, SH0020). */
const DEFAULT_PREFIX: Record<SegmentKind, string> = { episode: 'ep', sequence: 'sq', shot: 'sh' };

const NUMBERED = /^([A-Za-z]*)(\d+)$/;

export const NAMING_PATTERN_EXAMPLE = 'ep##_sq####_sh####';

/**
 * Parses a naming pattern such as `ep##_sq####_sh####`: episode, sequence and shot, each a prefix
 * and one `#` per digit. Returns undefined for a pattern that is not of that form.
 */
export function parseNamingPattern(pattern: string): NamingStyle | undefined {
  const m = /^([A-Za-z]*)(#+)_([A-Za-z]*)(#+)_([A-Za-z]*)(#+)$/.exec(pattern.trim());
  if (!m) return undefined;
  return {
    episode: { prefix: m[1]!.toLowerCase(), width: m[2]!.length },
    sequence: { prefix: m[3]!.toLowerCase(), width: m[4]!.length },
    shot: { prefix: m[5]!.toLowerCase(), width: m[6]!.length },
  };
}

/** The request's naming_pattern, or a 400 showing the expected form. */
export function requestNamingStyle(pattern: string): NamingStyle {
  const style = parseNamingPattern(pattern);
  if (!style) {
    throw validationError(`naming_pattern must look like ${NAMING_PATTERN_EXAMPLE}: episode, sequence and shot prefixes with one # per digit`, {
      field: 'naming_pattern',
      issue: 'unrecognised pattern',
    });
  }
  return style;
}

/** Digits without leading zeros (but at least one digit). */
const significant = (digits: string) => digits.replace(/^0+(?=\d)/, '');

/**
 * Brings a value to the style: `sh20` → `sh0020`, `10` → `sq0010`, `sq00010` → `sq0010` for width
 * 4; a bare number gets the style's prefix. A number longer than the width, or a value that is not
 * a prefix and a number (`intro`, `sh020a`), is returned unchanged.
 */
export function applyStyle(kind: SegmentKind, value: string, style: SegmentStyle | undefined): string {
  const v = value.trim();
  const m = NUMBERED.exec(v);
  if (!m) return v;
  const [, prefix, digits] = m as unknown as [string, string, string];
  const outPrefix = prefix || style?.prefix || DEFAULT_PREFIX[kind];
  if (!style) return `${outPrefix}${digits}`;
  const number = significant(digits);
  return `${outPrefix}${number.length <= style.width ? number.padStart(style.width, '0') : number}`;
}

/** The value with its number unpadded (`sq0010` → `sq10`): two values that differ only by padding share it. */
export function unpadded(value: string): string {
  const m = NUMBERED.exec(value.trim());
  return m ? `${m[1]}${significant(m[2]!)}` : value.trim();
}

/**
 * Tallies how values are written to infer a style: the most common prefix, and the most common
 * digit count among zero-padded numbers (a number with a leading zero shows the padding; `sq10`
 * alone does not, unless nothing is padded at all).
 */
export class StyleTally {
  private readonly prefixes = new Map<SegmentKind, Map<string, number>>();
  private readonly padded = new Map<SegmentKind, Map<number, number>>();
  private readonly plain = new Map<SegmentKind, number>();

  add(kind: SegmentKind, value: string): void {
    const m = NUMBERED.exec(value.trim());
    if (!m) return;
    const [, prefix, digits] = m as unknown as [string, string, string];
    if (prefix) bump(this.prefixes, kind, prefix.toLowerCase());
    if (digits.length > 1 && digits.startsWith('0')) bump(this.padded, kind, digits.length);
    else this.plain.set(kind, (this.plain.get(kind) ?? 0) + 1);
  }

  /**
   * The inferred style per kind. With `unpaddedMeansNone`, values that never carry a leading zero
   * mean the project does not pad (true for existing tasks; a file's `sh20` proves nothing).
   */
  style(unpaddedMeansNone: boolean): NamingStyle {
    const out: NamingStyle = {};
    for (const kind of SEGMENT_KINDS) {
      const width = mostCommon(this.padded.get(kind));
      const prefix = mostCommon(this.prefixes.get(kind)) ?? DEFAULT_PREFIX[kind];
      if (width !== undefined) out[kind] = { prefix, width };
      else if (unpaddedMeansNone && this.plain.get(kind)) out[kind] = { prefix, width: 0 };
    }
    return out;
  }
}

function bump<K>(counts: Map<SegmentKind, Map<K, number>>, kind: SegmentKind, key: K) {
  const m = counts.get(kind) ?? new Map<K, number>();
  m.set(key, (m.get(key) ?? 0) + 1);
  counts.set(kind, m);
}

function mostCommon<K>(counts: Map<K, number> | undefined): K | undefined {
  let best: K | undefined;
  let bestCount = 0;
  for (const [k, n] of counts ?? []) {
    if (n > bestCount) {
      best = k;
      bestCount = n;
    }
  }
  return best;
}

/** The first source that says anything about each kind wins, per kind. */
export function resolveStyle(sources: { source: StyleSource; style: NamingStyle | undefined }[]): { style: NamingStyle; sources: Partial<Record<SegmentKind, StyleSource>> } {
  const style: NamingStyle = {};
  const from: Partial<Record<SegmentKind, StyleSource>> = {};
  for (const kind of SEGMENT_KINDS) {
    const found = sources.find((s) => s.style?.[kind]);
    if (found) {
      style[kind] = found.style![kind];
      from[kind] = found.source;
    }
  }
  return { style, sources: from };
}
