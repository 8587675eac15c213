import type { DataSource } from 'typeorm';
import type { Authenticator } from '../auth/authenticate';
import type { AuthThrottle } from '../auth/throttle';
import type { UserPrincipal } from '../auth/principal';
import { verifyAgainstDummy, verifyPassword } from '../auth/password';
import { signUserToken } from '../auth/tokens';
import { Company } from '../entities/company.entity';
import { UserLogin } from '../entities/user-login.entity';
import { errors } from '../errors';
import type { AuditTrail } from './audit-trail';

export interface Session {
  token: string;
  expiresAt: Date;
  user: UserLogin;
  /** The signed-in user as a principal: the rest of the login answer is resolved as this user. */
  principal: UserPrincipal;
}

/** Longest password a sign-in hashes (longer ones cannot exist); bounds the work an anonymous caller causes. */
const MAX_PASSWORD_LENGTH = 200;

/**
 * Signing in: one answer for every failure, so nobody learns whether a company or user exists; failures are
 * logged and throttled per company+username and per client address (decision 016), the same whether or not
 * the company or the user exists.
 */
export class SessionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly authenticator: Authenticator,
    private readonly jwtSecret: string,
    private readonly ttlSec: number,
    private readonly throttle: AuthThrottle,
    private readonly audit: AuditTrail,
  ) {}

  /** `address` is the client's (the TCP peer), for the throttling and the log; `requestId` for the audit log. */
  async login(companySlug: string, username: string, password: string, address: string | null = null, requestId: string | null = null): Promise<Session> {
    const attempt = { companySlug, username, address };
    // Refused (TOO_MANY_REQUESTS) while blocked: no password is hashed, so a flood costs no CPU.
    await this.throttle.beginSignIn(attempt);
    const { session, company, user } = await this.check(companySlug, username, password);
    if (session === null) {
      // Only an attempt the throttle let through gets here; one into a company that exists goes into its audit log.
      if (company !== null) await this.audit.signInFailed(company.id, user?.id ?? null, username, address, requestId);
      await this.throttle.signInFailed(attempt);
      throw errors.unauthenticated('Invalid company, username or password');
    }
    await this.throttle.signInSucceeded(attempt);
    return session;
  }

  /** The session, or null with the company and login the attempt named (when they exist). */
  private async check(companySlug: string, username: string, password: string): Promise<{ session: Session | null; company: Company | null; user: UserLogin | null }> {
    if (password.length > MAX_PASSWORD_LENGTH * 2) return { session: null, company: null, user: null }; // UTF-16 units: at most two per character
    const company = await this.dataSource.getRepository(Company).findOneBy({ slug: companySlug.trim().toLowerCase() });
    const user = company
      ? await this.dataSource.getRepository(UserLogin).findOneBy({ companyId: company.id, username: username.normalize('NFC').trim() })
      : null;
    const ok = user ? await verifyPassword(password, user.passwordHash) : await verifyAgainstDummy(password);
    if (!user || !ok || !user.active) return { session: null, company, user };
    const { token, expiresAt } = signUserToken(this.jwtSecret, { sub: user.id, cid: user.companyId, tv: user.tokenVersion }, this.ttlSec);
    const principal = await this.authenticator.userPrincipal(user.id, user.companyId, user.tokenVersion, Math.floor(expiresAt.getTime() / 1000));
    return { session: principal === null ? null : { token, expiresAt, user, principal }, company, user };
  }
}
