import type { DataSource } from 'typeorm';
import type { Authenticator } from '../auth/authenticate';
import type { UserPrincipal } from '../auth/principal';
import { verifyAgainstDummy, verifyPassword } from '../auth/password';
import { signUserToken } from '../auth/tokens';
import { Company } from '../entities/company.entity';
import { UserLogin } from '../entities/user-login.entity';
import { errors } from '../errors';

export interface Session {
  token: string;
  expiresAt: Date;
  user: UserLogin;
  /** The signed-in user as a principal: the rest of the login answer is resolved as this user. */
  principal: UserPrincipal;
}

/** Longest password a sign-in hashes (longer ones cannot exist); bounds the work an anonymous caller causes. */
const MAX_PASSWORD_LENGTH = 200;

/** Signing in: one answer for every failure, so nobody learns whether a company or user exists. */
export class SessionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly authenticator: Authenticator,
    private readonly jwtSecret: string,
    private readonly ttlSec: number,
  ) {}

  async login(companySlug: string, username: string, password: string): Promise<Session> {
    const refused = errors.unauthenticated('Invalid company, username or password');
    if (password.length > MAX_PASSWORD_LENGTH * 2) throw refused; // UTF-16 units: at most two per character
    const company = await this.dataSource.getRepository(Company).findOneBy({ slug: companySlug.trim().toLowerCase() });
    const user = company
      ? await this.dataSource.getRepository(UserLogin).findOneBy({ companyId: company.id, username: username.normalize('NFC').trim() })
      : null;
    const ok = user ? await verifyPassword(password, user.passwordHash) : await verifyAgainstDummy(password);
    if (!user || !ok || !user.active) throw refused;
    const { token, expiresAt } = signUserToken(this.jwtSecret, { sub: user.id, cid: user.companyId, tv: user.tokenVersion }, this.ttlSec);
    const principal = await this.authenticator.userPrincipal(user.id, user.companyId, user.tokenVersion, Math.floor(expiresAt.getTime() / 1000));
    if (principal === null) throw refused;
    return { token, expiresAt, user, principal };
  }
}
