// Global admins: the `admin: true` custom claim, which the API reads from the user record on every
// request, and `admins/{uid}`, which the security rules read. Rules cannot read the user record and
// an ID token keeps its claims for up to an hour, so a demoted admin would keep direct access
// through listeners and Storage until it expired; the document is gone the moment they are demoted.
// Every promotion and demotion goes through `setGlobalAdmin` (the create-admin script, the seed).
import type { Auth } from 'firebase-admin/auth';
import { FieldValue, type Firestore } from 'firebase-admin/firestore';
import { ADMINS } from '../lib/collections.js';

/** Makes `uid` a global admin or not, keeping their other claims. A demotion closes the rules first. */
export async function setGlobalAdmin(deps: { auth: Auth; db: Firestore }, uid: string, admin: boolean, actor: string): Promise<void> {
  const ref = deps.db.collection(ADMINS).doc(uid);
  const claims = { ...((await deps.auth.getUser(uid)).customClaims ?? {}) };
  if (admin) {
    await deps.auth.setCustomUserClaims(uid, { ...claims, admin: true });
    await ref.set({ uid, granted_by: actor, granted_at: FieldValue.serverTimestamp() });
  } else {
    await ref.delete();
    delete claims.admin;
    await deps.auth.setCustomUserClaims(uid, claims);
  }
}
