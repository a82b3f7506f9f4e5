// Types of scripts/seed.mjs for the TypeScript tests that seed a test stack with it.
import type { AppDeps } from '../functions/src/config/deps.js';

export interface DemoUser {
  uid: string;
  email: string;
  password: string;
  display_name: string;
  admin?: boolean;
  projects: Record<string, string[]>;
}

export interface DemoMediaEntry {
  key: string;
  task_id: string;
  version: string;
  file_name: string;
  uploaded_by: string;
}

export const DATASET: {
  users: DemoUser[];
  projects: { id: string }[];
  media: DemoMediaEntry[];
  [section: string]: unknown;
};

export function seedDemoData(
  deps: AppDeps,
  options?: { passwords?: Record<string, string>; log?: (line: string) => void },
): Promise<Record<string, { created: number; existing: number }>>;
