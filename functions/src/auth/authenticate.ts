import type { Auth, DecodedIdToken, UserRecord } from 'firebase-admin/auth';
import type { Request } from 'express';
import { forbidden, unauthenticated } from '../http/errors.js';
import type { Caller } from './caller.js';
import { step } from '../lib/timing.js';
import type { Authenticate } from '../http/route.js';
import type { Sessions } from './sessions.js';

const BEARER = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;

const REVOKED = unauthenticated('ID token has been revoked (signed out); log in again');
const GONE = unauthenticated('The user of this token no longer exists');
const DISABLED = forbidden('This user account is disabled');

function authErrorCode(err: unknown): string {
  return (err as { code?: string; errorInfo?: { code?: string } })?.errorInfo?.code ?? (err as { code?: string })?.code ?? '';
}

/**
 * Verifies `Authorization: Bearer <Firebase ID token>` and loads the user record, which is the
 * authority for revocation (logout), disabled accounts and the global `admin` claim. Both are
 * remembered by `sessions`: a token seen before is not verified again, a user record is read again
 * once it is older than USER_RECORD_TTL_MS (sessions.ts), so most requests make no network call
 * (`fresh` reads it regardless).
 */
export function createAuthenticator(auth: Auth, sessions: Sessions): Authenticate {
  return async function authenticate(req: Request, fresh = false) {
    const header = req.get('authorization');
    if (!header) throw unauthenticated('Missing Authorization header; send "Authorization: Bearer <Firebase ID token>"');
    const match = BEARER.exec(header.trim());
    if (!match?.[1]) {
      throw unauthenticated(/^bearer\s/i.test(header) ? 'Malformed bearer token: expected a Firebase ID token (JWT)' : 'Authorization must use the Bearer scheme');
    }
    const raw = match[1];
    let decoded = sessions.token(raw);
    if (!decoded) {
      decoded = await step('verify', () => verify(auth, raw));
      sessions.rememberToken(raw, decoded);
    }
    let user = fresh ? undefined : sessions.user(decoded.uid);
    const cached = user !== undefined;
    if (!user) {
      const uid = decoded.uid;
      user = await step('user', () => userRecord(auth, uid));
      sessions.rememberUser(user);
    }
    if (user.disabled) throw DISABLED;
    const validSince = user.tokensValidAfterTime ? Date.parse(user.tokensValidAfterTime) : 0;
    if (decoded.auth_time * 1000 < validSince) throw REVOKED;
    const caller: Caller = {
      uid: user.uid,
      email: user.email ?? null,
      displayName: user.displayName ?? null,
      admin: user.customClaims?.admin === true,
      token: decoded,
      permissionsByProject: new Map(),
    };
    return { caller, cached };
  };
}

/** The token's claims once its signature, audience, issuer and expiry check out (locally, against Google's cached certificates). */
async function verify(auth: Auth, raw: string): Promise<DecodedIdToken> {
  try {
    return await auth.verifyIdToken(raw);
  } catch (err) {
    const code = authErrorCode(err);
    const message = (err as Error).message ?? '';
    if (code === 'auth/id-token-expired') throw unauthenticated('ID token has expired; get a new one from /api/v1/auth/refresh');
    // With the Auth emulator, firebase-admin always consults the user record while verifying.
    if (code === 'auth/id-token-revoked') throw REVOKED;
    if (code === 'auth/user-not-found') throw GONE;
    if (code === 'auth/user-disabled') throw DISABLED;
    if (/aud|audience/i.test(message)) throw unauthenticated('ID token was issued for another Firebase project');
    throw unauthenticated('Invalid ID token');
  }
}

async function userRecord(auth: Auth, uid: string): Promise<UserRecord> {
  try {
    return await auth.getUser(uid);
  } catch (err) {
    if (authErrorCode(err) === 'auth/user-not-found') throw GONE;
    throw err;
  }
}
