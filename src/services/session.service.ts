import type { DataSource } from 'typeorm';
import { verifyAgainstDummy, verifyPassword } from '../auth/password';
import { signUserToken } from '../auth/tokens';
import { Company } from '../entities/company.entity';
import { UserLogin } from '../entities/user-login.entity';
import { errors } from '../errors';

export interface Session {
  token: string;
  expiresAt: Date;
  user: UserLogin;
}

/** Signing in: one answer for every failure, so nobody learns whether a company or user exists. */
export class SessionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jwtSecret: string,
    private readonly ttlSec: number,
  ) {}

  async login(companySlug: string, username: string, password: string): Promise<Session> {
    const company = await this.dataSource.getRepository(Company).findOneBy({ slug: companySlug.trim().toLowerCase() });
    const user = company
      ? await this.dataSource.getRepository(UserLogin).findOneBy({ companyId: company.id, username: username.normalize('NFC').trim() })
      : null;
    const ok = user ? await verifyPassword(password, user.passwordHash) : await verifyAgainstDummy(password);
    if (!user || !ok || !user.active) throw errors.unauthenticated('Invalid company, username or password');
    const { token, expiresAt } = signUserToken(this.jwtSecret, { sub: user.id, cid: user.companyId, tv: user.tokenVersion }, this.ttlSec);
    return { token, expiresAt, user };
  }
}
