export const PROJECT_ID: string;
export const PORT_NAMES: readonly string[];
export type Ports = Record<string, number>;
export interface EmulatorHosts {
  FIRESTORE_EMULATOR_HOST: string;
  FIREBASE_AUTH_EMULATOR_HOST: string;
  FIREBASE_STORAGE_EMULATOR_HOST: string;
  STORAGE_EMULATOR_HOST: string;
  FIREBASE_EMULATOR_HUB: string;
  PUBSUB_EMULATOR_HOST?: string;
  CLOUD_TASKS_EMULATOR_HOST?: string;
}
export interface Prerequisites {
  storageRules: string | null;
  java: { java: string; home: string; major: number };
  firestore: { source: string; env: Record<string, string> };
  pubsub: { source: string; env: Record<string, string> } | null;
  env: Record<string, string>;
}
export interface EmulatorStack {
  env: EmulatorHosts;
  ports: Ports;
  services: string[];
  prerequisites: Prerequisites;
  stop(): Promise<void>;
}
export function configuredPorts(env?: NodeJS.ProcessEnv): Ports;
export function freePorts(): Promise<Ports>;
export function portVariables(ports: Ports): Record<string, string>;
export function startEmulators(options: {
  only: string[];
  storage?: boolean;
  ports: Ports;
  output?: 'inherit' | string;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<EmulatorStack>;
