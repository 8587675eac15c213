import type { DataSource } from 'typeorm';
import { IsNull } from 'typeorm';
import { ConnectorApiKey } from '../entities/connector-api-key.entity';
import { ProfileScope } from '../entities/enums';
import { UserLogin } from '../entities/user-login.entity';
import { errors } from '../errors';
import { effectivePrivileges, type Principal, type UserPrincipal } from './principal';
import { parseConnectorKey, secretsEqual, sha256Hex } from './secrets';
import { verifyUserToken } from './tokens';

/**
 * Turns an `Authorization` value into a principal. No header: null (anonymous; only `login` works).
 * A header that is not a valid, current credential: UNAUTHENTICATED, with no hint of why.
 */
export class Authenticator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jwtSecret: string,
    private readonly platformApiKey: string | null,
  ) {}

  async authenticate(authorization: string | undefined | null): Promise<Principal | null> {
    if (authorization === undefined || authorization === null || authorization === '') return null;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw errors.unauthenticated('Invalid credentials', true);
    const token = match[1]!;
    if (this.platformApiKey !== null && secretsEqual(token, this.platformApiKey)) return { kind: 'platform' };
    const connector = parseConnectorKey(token);
    const principal = connector ? await this.connectorPrincipal(connector.keyId, connector.secret) : await this.userPrincipal(token);
    if (principal === null) throw errors.unauthenticated('Invalid credentials', true);
    return principal;
  }

  private async connectorPrincipal(keyId: string, secret: string): Promise<Principal | null> {
    const key = await this.dataSource.getRepository(ConnectorApiKey).findOneBy({ id: keyId, revokedAt: IsNull() });
    if (key === null || !secretsEqual(sha256Hex(secret), key.secretHash)) return null;
    return { kind: 'connector', companyId: key.companyId, keyId: key.id };
  }

  private async userPrincipal(token: string): Promise<UserPrincipal | null> {
    const claims = verifyUserToken(this.jwtSecret, token);
    if (claims === null) return null;
    return this.loadUser(claims.sub, claims.cid, claims.tv, claims.exp);
  }

  /** Loads a user's current roles and profile; null when the login is gone, inactive or the token is stale. */
  async loadUser(userId: string, companyId: string, tokenVersion: number, tokenExp: number): Promise<UserPrincipal | null> {
    const user = await this.dataSource.getRepository(UserLogin).findOne({
      where: { id: userId, companyId },
      relations: { roles: true, externalDestinationsProfile: true },
    });
    if (user === null || !user.active || user.tokenVersion !== tokenVersion) return null;
    const profile = user.externalDestinationsProfile;
    let destinationIds = new Set<string>();
    if (profile !== null && profile.scope === ProfileScope.SELECTED) {
      const rows: Array<{ destinationId: string }> = await this.dataSource
        .createQueryBuilder()
        .select('pd.destinationId', 'destinationId')
        .from('profile_destination', 'pd')
        .where('pd.profileId = :id', { id: profile.id })
        .getRawMany();
      destinationIds = new Set(rows.map((r) => r.destinationId));
    }
    return {
      kind: 'user',
      companyId: user.companyId,
      userId: user.id,
      userKind: user.kind,
      privileges: effectivePrivileges(user.kind, user.roles),
      profile: profile === null ? null : { id: profile.id, scope: profile.scope, destinationIds },
      tokenExp,
      tokenVersion,
    };
  }
}
