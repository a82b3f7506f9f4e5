import type { DecodedIdToken } from 'firebase-admin/auth';

export const PERMISSIONS = ['read', 'write', 'review', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** `write` and `review` (approving or rejecting media) each imply `read`; `admin` implies all. */
const IMPLIED: Record<Permission, readonly Permission[]> = { read: [], write: ['read'], review: ['read'], admin: ['read', 'write', 'review'] };

/**
 * The closed form permissions are stored and returned in, in PERMISSIONS order. Applied on reading
 * too: memberships stored before `review` existed name `admin` without it.
 */
export function normalizePermissions(given: readonly Permission[]): Permission[] {
  return PERMISSIONS.filter((p) => given.some((g) => g === p || IMPLIED[g]?.includes(p)));
}

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
