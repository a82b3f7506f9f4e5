// What an instance remembers between requests about who is signed in, so a request usually needs no
// network call to authenticate: ID tokens it has verified (until they expire) and user records
// (revocation, disabled, the admin claim) for USER_RECORD_TTL_MS. docs/security.md says what that
// costs: a user revoked, disabled or demoted elsewhere keeps this instance's access for at most the
// TTL; a logout through this instance takes effect on it at once.
import { createHash } from 'node:crypto';
import type { DecodedIdToken, UserRecord } from 'firebase-admin/auth';

/** How long an instance trusts a user record it read. */
export const USER_RECORD_TTL_MS = 30_000;
/** Entries each map keeps; the least recently used go first. */
const MAX_ENTRIES = 10_000;

class Recent<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.until <= now) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, until: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, until });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

/** Tokens are kept by digest: a fixed 43 characters instead of a kilobyte each. */
const tokenKey = (raw: string) => createHash('sha256').update(raw).digest('base64url');

export class Sessions {
  private readonly tokens = new Recent<DecodedIdToken>();
  private readonly users = new Recent<UserRecord>();

  /** A token verified before and not expired yet (its signature, audience and issuer were checked then). */
  token(raw: string, now = Date.now()): DecodedIdToken | undefined {
    return this.tokens.get(tokenKey(raw), now);
  }

  rememberToken(raw: string, decoded: DecodedIdToken): void {
    this.tokens.set(tokenKey(raw), decoded, decoded.exp * 1000);
  }

  user(uid: string, now = Date.now()): UserRecord | undefined {
    return this.users.get(uid, now);
  }

  rememberUser(user: UserRecord, now = Date.now()): void {
    this.users.set(user.uid, user, now + USER_RECORD_TTL_MS);
  }

  /** After a change to the user's record (logout): the next request reads it afresh. */
  forget(uid: string): void {
    this.users.delete(uid);
  }
}
