// The spec's SWA project ("Sky Wars Anthology"), exactly as GET /projects shows it. Its one copy is
// in the demo dataset the seed writes (emulator-data/dataset.json); the tests read it from there.
import { readFileSync } from 'node:fs';
import type { PathConfig } from '../../src/paths/placeholders.js';

export interface SpecProject extends PathConfig {
  name: string;
  description: string;
  status: 'active';
  task_types: string[];
  milestones: string[];
  priority_levels: string[];
}

const dataset = JSON.parse(readFileSync(new URL('../../../emulator-data/dataset.json', import.meta.url), 'utf8')) as { projects: (SpecProject & { created_at: string; created_by: string })[] };
const { created_at, created_by: _createdBy, ...swa } = dataset.projects.find((p) => p.id === 'SWA')!;

export const SWA_PROJECT: SpecProject = swa;
/** The spec's created/updated time for SWA. */
export const SWA_TIMESTAMP = created_at;
