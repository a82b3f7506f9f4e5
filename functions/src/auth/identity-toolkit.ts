// Firebase Auth's REST endpoints for password sign-in and token refresh. The Auth emulator serves
// the same paths, so the base URLs come from configuration.
import { ApiError, forbidden, unauthenticated } from '../http/errors.js';
import type { AppConfig } from '../config/app-config.js';

export interface IssuedTokens {
  idToken: string;
  refreshToken: string;
  expiresIn: number;
  uid: string;
}

type Urls = Pick<AppConfig, 'identityToolkitUrl' | 'secureTokenUrl' | 'webApiKey'>;

async function call(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch {
    throw new ApiError('UNAVAILABLE', 'Firebase Auth is unreachable');
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.ok) return body;
  const reason = String((body.error as { message?: string } | undefined)?.message ?? '');
  if (reason.startsWith('USER_DISABLED')) throw forbidden('This user account is disabled');
  if (/EMAIL_NOT_FOUND|INVALID_PASSWORD|INVALID_LOGIN_CREDENTIALS|INVALID_EMAIL/.test(reason)) throw unauthenticated('Invalid email or password');
  if (/TOKEN_EXPIRED|INVALID_REFRESH_TOKEN|USER_NOT_FOUND|INVALID_GRANT_TYPE|MISSING_REFRESH_TOKEN/.test(reason)) {
    throw unauthenticated('Refresh token is invalid or has been revoked; log in again');
  }
  if (reason.startsWith('TOO_MANY_ATTEMPTS')) throw new ApiError('RATE_LIMITED', 'Too many sign-in attempts; try again later');
  throw new ApiError('UNAVAILABLE', `Firebase Auth refused the request (${reason || res.status})`);
}

export async function signInWithPassword(urls: Urls, email: string, password: string): Promise<IssuedTokens> {
  const body = await call(`${urls.identityToolkitUrl}/v1/accounts:signInWithPassword?key=${encodeURIComponent(urls.webApiKey)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, returnSecureToken: true }),
  });
  return { idToken: String(body.idToken), refreshToken: String(body.refreshToken), expiresIn: Number(body.expiresIn), uid: String(body.localId) };
}

export async function refreshIdToken(urls: Urls, refreshToken: string): Promise<IssuedTokens> {
  const body = await call(`${urls.secureTokenUrl}/v1/token?key=${encodeURIComponent(urls.webApiKey)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
  return { idToken: String(body.id_token), refreshToken: String(body.refresh_token), expiresIn: Number(body.expires_in), uid: String(body.user_id) };
}
