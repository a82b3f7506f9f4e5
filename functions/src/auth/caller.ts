import type { DecodedIdToken } from 'firebase-admin/auth';

export const PERMISSIONS = ['read', 'write', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** The verified user behind a request, with a per-request cache of their project permissions. */
export interface Caller {
  uid: string;
  email: string | null;
  displayName: string | null;
  /** Global admin: the `admin: true` custom claim on the user record. */
  admin: boolean;
  token: DecodedIdToken;
  permissionsByProject: Map<string, Permission[]>;
}
