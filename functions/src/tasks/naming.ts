// How episode/sequence/shot values are normalised and compared, and how a task id is derived.
export type SegmentKind = 'episode' | 'sequence' | 'shot';

/** The spec's stored shape for the common `<prefix><digits>` names: Ep00, sq0010, SH0020. */
const SEGMENT_SHAPES: Record<SegmentKind, { prefix: string; stored: string }> = {
  episode: { prefix: 'ep', stored: 'Ep' },
  sequence: { prefix: 'sq', stored: 'sq' },
  shot: { prefix: 'sh', stored: 'SH' },
};

/**
 * Normalises an episode/sequence/shot value to the spec's stored shape: `ep00`/`EP00` → `Ep00`,
 * `SQ0010` → `sq0010`, `sh0020` → `SH0020`. Other names (asset names, studio conventions) are only
 * trimmed; filters still match them in any case through `matchKey`.
 */
export function normaliseSegment(kind: SegmentKind, value: string): string {
  const v = value.trim();
  const m = /^([A-Za-z]+)(\d+)$/.exec(v);
  const shape = SEGMENT_SHAPES[kind];
  return m && m[1]!.toLowerCase() === shape.prefix ? `${shape.stored}${m[2]}` : v;
}

/** The case-insensitive form stored beside a value and used by filters (`Ep00` and `ep00` both → `ep00`). */
export function matchKey(value: string): string {
  return value.trim().toLowerCase();
}

/** The spec's task id: `{episode}_{sequence}_{shot}_{task}` lower-cased (`ep00_sq0010_sh0020_comp`). */
export function deriveTaskId(t: { episode: string; sequence: string; shot: string; task: string }): string {
  return [normaliseSegment('episode', t.episode), normaliseSegment('sequence', t.sequence), normaliseSegment('shot', t.shot), t.task.trim()].join('_').toLowerCase();
}
