// The Path Builder unit tests' shared arrangement: the spec's SWA configuration compiled once.
import { PathBuilder } from '../../src/paths/builder.js';
import type { PathConfig } from '../../src/paths/placeholders.js';
import { SWA_PROJECT } from '../support/swa.js';

export const swa: PathConfig = SWA_PROJECT;
export const builder = PathBuilder.compile(swa);
export const shot = { episode: 'ep01', sequence: 'sq010', shot: 'sh020', task: 'lighting', version: 'v003', artist: 'john_doe' };

/** SWA with some fields replaced. */
export function config(overrides: Partial<PathConfig>): PathConfig {
  return { ...swa, ...overrides };
}
