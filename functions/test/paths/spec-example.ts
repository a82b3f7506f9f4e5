// The spec's Path Builder example (POST /paths/generate), copied once from the contract.
export const SPEC_TASK = { episode: 'ep01', sequence: 'sq010', shot: 'sh020', task: 'lighting', version: 'v003', artist: 'john_doe' };

export const SPEC_PATH = 'V:/SWA/all/scene/ep01/sq010/sh020/lighting/version/ep01_sq010_sh020_lighting_master_v003.ma';

/** The spec's `components`, in the spec's key order (the API test compares to the character). */
export const SPEC_COMPONENTS = {
  drive: 'V:',
  project: 'SWA',
  episode: 'ep01',
  sequence_clean: 'sq010',
  shot_clean: 'sh020',
  task: 'lighting',
  version: 'v003',
  filename: 'ep01_sq010_sh020_lighting_master_v003.ma',
};
