export const TYPES_FILE: URL;
export function servedDocument(createApp: (deps: never) => import('node:http').RequestListener, defaultConfig: () => unknown): Promise<Record<string, unknown>>;
export function typesOf(document: Record<string, unknown>): Promise<string>;
