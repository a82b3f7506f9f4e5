import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameAt, mediaGeometry, settleMoment, timeOfFrame } from '../../src/annotations/placement.js';

const RATES = [23.976, 24000 / 1001, 24, 25, 29.97, 30000 / 1001, 30, 48, 50, 59.94, 60];

describe('frame and time convention', () => {
  it('maps the start of every frame, as a client computes it (n / fps), to that frame and not the one before', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RATES), fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 2000 }), (fps, n, first) => {
        expect(frameAt(n / fps, fps, first)).toBe(first + n);
        expect(frameAt(timeOfFrame(first + n, fps, first), fps, first)).toBe(first + n);
      }),
    );
  });

  it('keeps every instant inside a frame on that frame, up to the next frame boundary', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RATES), fc.integer({ min: 0, max: 200_000 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), (fps, n, within) => {
        expect(frameAt((n + within) / fps, fps, 1001)).toBe(1001 + n);
      }),
    );
  });

  it('ignores frame rates, sizes and frame ranges it cannot trust', () => {
    expect(mediaGeometry({ width: 0, height: 1080, frame_rate: '24' }, { start: 1001.5, end: 1100 })).toEqual({ size: null, fps: null, frameRange: null });
    expect(mediaGeometry(undefined, undefined)).toEqual({ size: null, fps: null, frameRange: null });
    expect(settleMoment({ timestamp: 1.5, frame_number: 4 }, mediaGeometry({}, null))).toEqual({ timestamp: 1.5, frame_number: 4, issues: [] });
  });
});
