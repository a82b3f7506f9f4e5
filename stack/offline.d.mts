export interface OfflineStack {
  env: Record<'FIRESTORE_EMULATOR_HOST' | 'FIREBASE_AUTH_EMULATOR_HOST' | 'FIREBASE_STORAGE_EMULATOR_HOST' | 'STORAGE_EMULATOR_HOST', string>;
  stop(): Promise<void>;
}
export function startOfflineStack(options: {
  projectId: string;
  ports: { firestore: number; auth: number; storage: number };
}): Promise<OfflineStack>;
export function startOfflineStackOnFreePorts(options?: { projectId?: string }): Promise<OfflineStack>;
