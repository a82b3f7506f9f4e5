// Where an annotation sits on its media: the region of the picture (position, drawing) and the
// moment (timestamp, frame_number). Pure rules, checked against what the media and its task know.

/**
 * Tolerance, in frames, when turning a timestamp into a frame: a timestamp computed as n/fps in
 * floating point can land a hair below frame n (1.16 s × 25 fps = 28.999999999999996) and must
 * still name frame n.
 */
export const FRAME_EPSILON = 1e-6;

export const FRAME_CONVENTION =
  'Frames and time: frame f is on screen from (f − first_frame) / fps until (f − first_frame + 1) / fps, where first_frame is the linked ' +
  "task's frame_range.start (0 when the task has no frame range) and fps is the media's metadata.frame_rate. A timestamp therefore names " +
  'frame first_frame + floor(timestamp × fps + 1e-6) (the 1e-6 frame absorbs floating-point error, so timestamp = n / fps is frame ' +
  'first_frame + n, never the one before). When the frame rate is known and both timestamp and frame_number are given they must name the ' +
  'same frame (422 otherwise); when only one is given the other is derived and stored. Send timestamps unrounded, or the middle of the ' +
  'frame ((n + 0.5) / fps), since a timestamp rounded down to the millisecond can fall in the previous frame. frame_number must lie inside ' +
  "the linked task's frame_range (inclusive) when it has one.";

export const POSITION_CONVENTION =
  'Coordinates: position and drawing points are in pixels of the full-resolution picture, origin top-left. When the media\'s metadata ' +
  'has width and height (images: read at upload, or by the thumbnail trigger for files uploaded to an upload URL) they must lie inside ' +
  'it (x + width ≤ metadata.width, y + height ≤ metadata.height); when the size is not known (video, or an image whose upload has not ' +
  'been read yet) they are taken as given. `coordinates` is always `pixels`.';

export interface MediaGeometry {
  /** Picture size in pixels, when the media's metadata has it. */
  size: { width: number; height: number } | null;
  fps: number | null;
  /** The linked task's frame range (inclusive), when known. */
  frameRange: { start: number; end: number } | null;
}

export type Coordinates = 'pixels';

export interface Position {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Stroke {
  points: { x: number; y: number }[];
  colour: string;
  width: number;
}

export interface Drawing {
  strokes: Stroke[];
}

/** A rule broken against the media's state: the field and why. */
export interface PlacementIssue {
  field: string;
  issue: string;
}

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** Reads what the placement rules need from a media document's `metadata` and its task's `frame_range`. */
export function mediaGeometry(metadata: unknown, frameRange: unknown): MediaGeometry {
  const m = (metadata ?? {}) as { width?: unknown; height?: unknown; frame_rate?: unknown };
  const r = (frameRange ?? {}) as { start?: unknown; end?: unknown };
  return {
    size: positive(m.width) && positive(m.height) ? { width: m.width, height: m.height } : null,
    fps: positive(m.frame_rate) ? m.frame_rate : null,
    frameRange: Number.isInteger(r.start) && Number.isInteger(r.end) ? { start: r.start as number, end: r.end as number } : null,
  };
}


const firstFrame = (geometry: MediaGeometry) => geometry.frameRange?.start ?? 0;

/** The frame on screen at `timestamp` seconds (see FRAME_CONVENTION). */
export function frameAt(timestamp: number, fps: number, first: number): number {
  return first + Math.floor(timestamp * fps + FRAME_EPSILON);
}

/** The moment frame `frame` starts. */
export function timeOfFrame(frame: number, fps: number, first: number): number {
  return (frame - first) / fps;
}

/** Checks the region against the picture when its size is known (pixels either way). */
export function checkRegion(position: Position | null, drawing: Drawing | null, geometry: MediaGeometry): PlacementIssue[] {
  const issues: PlacementIssue[] = [];
  const bounds = geometry.size;
  if (!bounds) return issues;
  const unit = `the ${bounds.width}×${bounds.height} px picture`;
  if (position) {
    if (position.x + position.width > bounds.width || position.y + position.height > bounds.height) {
      issues.push({ field: 'position', issue: `Position (${position.x}, ${position.y}, ${position.width}×${position.height}) lies outside ${unit}` });
    }
  }
  drawing?.strokes.forEach((stroke, s) => {
    const p = stroke.points.findIndex((pt) => pt.x > bounds.width || pt.y > bounds.height);
    if (p >= 0) issues.push({ field: `drawing.strokes.${s}.points.${p}`, issue: `Point (${stroke.points[p]!.x}, ${stroke.points[p]!.y}) lies outside ${unit}` });
  });
  return issues;
}

/**
 * Settles timestamp and frame_number against the media: checks the frame range and, with a known
 * frame rate, that both name the same frame, deriving whichever is missing.
 */
export function settleMoment(
  given: { timestamp: number | null; frame_number: number | null },
  geometry: MediaGeometry,
): { timestamp: number | null; frame_number: number | null; issues: PlacementIssue[] } {
  const issues: PlacementIssue[] = [];
  let { timestamp, frame_number } = given;
  const first = firstFrame(geometry);
  const { fps, frameRange } = geometry;
  if (fps !== null) {
    if (timestamp !== null && frame_number !== null) {
      const expected = frameAt(timestamp, fps, first);
      if (expected !== frame_number) {
        issues.push({
          field: 'frame_number',
          issue: `timestamp ${timestamp} s is frame ${expected} at ${fps} fps (first frame ${first}), but frame_number is ${frame_number}`,
        });
      }
    } else if (timestamp !== null) {
      frame_number = frameAt(timestamp, fps, first);
    } else if (frame_number !== null) {
      timestamp = timeOfFrame(frame_number, fps, first);
    }
  }
  if (frameRange && frame_number !== null && (frame_number < frameRange.start || frame_number > frameRange.end)) {
    const from = given.frame_number === null ? ` (derived from timestamp ${timestamp} s at ${fps} fps)` : '';
    issues.push({ field: given.frame_number === null ? 'timestamp' : 'frame_number', issue: `Frame ${frame_number}${from} is outside the task's frame range ${frameRange.start}-${frameRange.end}` });
  }
  return { timestamp, frame_number, issues };
}
