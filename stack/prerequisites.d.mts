export function javaMajorVersion(versionOutput: string): number | null;
export function findJava(env?: NodeJS.ProcessEnv): { java: string; home: string; major: number } | null;
export function findEmulatorPrerequisites(env?: NodeJS.ProcessEnv): Record<string, unknown>;
