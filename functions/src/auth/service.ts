import { forbidden, unauthenticated } from '../http/errors.js';
import type { Caller, Permission } from './caller.js';
import { LoginBrake } from '../http/rate-limit.js';
import { refreshIdToken, signInWithPassword, type IssuedTokens } from './identity-toolkit.js';
import { MemberStore } from '../members/store.js';
import { DomainService } from '../lib/domain-service.js';
import type { AppDeps } from '../config/deps.js';
import type { AccessControl } from './access.js';
import type { Sessions } from './sessions.js';

/** Login, refresh, who-am-I and logout on top of Firebase Auth. */
export class AuthService extends DomainService {
  private readonly members = new MemberStore(this.deps.db);
  private readonly brake = new LoginBrake(this.deps);

  constructor(
    deps: AppDeps,
    access: AccessControl,
    private readonly sessions: Sessions,
  ) {
    super(deps, access);
  }

  /** `source`: the client address the trusted front end reports. */
  async login(email: string, password: string, projectId: string | undefined, source: string) {
    return this.brake.run(email, source, async () => this.tokenResponse(await signInWithPassword(this.deps.config, email, password), projectId));
  }

  async refresh(refreshToken: string, projectId?: string) {
    const tokens = await refreshIdToken(this.deps.config, refreshToken);
    // A refreshed ID token keeps the original auth_time, so a session revoked by logout shows here
    // (the Auth emulator still honours revoked refresh tokens; production refuses them earlier).
    await this.deps.auth.verifyIdToken(tokens.idToken, true).catch(() => {
      throw unauthenticated('Refresh token is invalid or has been revoked; log in again');
    });
    return this.tokenResponse(tokens, projectId);
  }

  private async tokenResponse(tokens: IssuedTokens, projectId: string | undefined) {
    let permissions: Permission[] = [];
    if (projectId) {
      const user = await this.deps.auth.getUser(tokens.uid);
      const caller = { uid: tokens.uid, admin: user.customClaims?.admin === true, permissionsByProject: new Map() } as Caller;
      permissions = await this.access.permissions(caller, projectId);
      // Same answer whether the project is missing or just not theirs: no existence hint.
      if (permissions.length === 0) throw forbidden(`You have no access to project ${projectId}`);
    }
    return {
      access_token: tokens.idToken,
      token_type: 'bearer' as const,
      expires_in: tokens.expiresIn,
      user_id: tokens.uid,
      project_id: projectId ?? null,
      permissions,
      refresh_token: tokens.refreshToken,
    };
  }

  async me(caller: Caller) {
    const memberships = await this.members.forUser(caller.uid);
    return {
      user_id: caller.uid,
      email: caller.email,
      display_name: caller.displayName,
      admin: caller.admin,
      projects: memberships
        .map((m) => ({ project_id: m.project_id, permissions: m.permissions }))
        .sort((a, b) => a.project_id.localeCompare(b.project_id)),
    };
  }

  /** Revokes every refresh token; ID tokens issued before now are refused from here on. */
  async logout(caller: Caller) {
    await this.deps.auth.revokeRefreshTokens(caller.uid);
    this.sessions.forget(caller.uid);
    const user = await this.deps.auth.getUser(caller.uid);
    return { message: 'Logged out: refresh tokens revoked', revoked_at: new Date(user.tokensValidAfterTime ?? this.deps.clock()).toISOString() };
  }
}
