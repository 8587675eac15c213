import type { DataSource } from 'typeorm';
import { ConnectorApiKey } from '../entities/connector-api-key.entity';
import { errors } from '../errors';
import type { ConnectorPrincipal, Principal, UserPrincipal } from './principal';
import { timingSafeEqual } from 'node:crypto';
import { digestOf, parseConnectorKey, sha256Hex } from './secrets';
import type { AuthThrottle } from './throttle';
import { verifyUserToken, type UserTokenClaims } from './tokens';

/** Connector key ids whose company is remembered (a key never changes company). */
const KEY_COMPANIES_MAX = 100_000;
/** User tokens whose signature was verified, remembered with their claims until they expire. */
const VERIFIED_TOKENS_MAX = 10_000;

/** What authentication asks of one company held in memory (the live company model answers it). */
export interface CompanyAuthority {
  /** The connector key's principal when `secretHash` is its secret's and it is not revoked; null otherwise. */
  connectorPrincipal(keyId: string, secretHash: string): ConnectorPrincipal | null;
  /** The user's principal when its login is active and `tokenVersion` still its own; null otherwise. */
  userPrincipal(userId: string, tokenVersion: number, tokenExp: number): UserPrincipal | null;
}

/**
 * The companies held in memory, as authentication reads them (the live models answer it; declared here so
 * that authentication depends on no module that depends on it).
 */
export interface AuthorityModels {
  /** The company held in memory now, if it is. */
  peek(companyId: string): CompanyAuthority | undefined;
  /** The company, read first when it is not held. */
  get(companyId: string): Promise<CompanyAuthority>;
  /** The company of a connector key id, when one held in memory has it. */
  companyOfKey(keyId: string): string | undefined;
}

/**
 * Turns an `Authorization` value into a principal, from the companies held in memory (no SQL once the
 * company is held). No header: null (anonymous; only `login` works). A header that is not a valid, current
 * credential: UNAUTHENTICATED, with no hint of why.
 */
export class Authenticator {
  /** Which company each connector key id seen belongs to (the key's company is not in the key). */
  private readonly keyCompanies = new Map<string, string>();
  /**
   * Claims of user tokens already verified, by the exact token text: verifying a signature again gives the
   * same answer, so a token in use is verified once (its expiry is still checked on every use).
   */
  private readonly verified = new Map<string, UserTokenClaims & { exp: number }>();

  /** The platform operator key's digest, made once: each request hashes only its own token to compare. */
  private readonly platformKeyDigest: Buffer | null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly models: AuthorityModels,
    private readonly jwtSecret: string,
    platformApiKey: string | null,
    private readonly throttle: AuthThrottle | null = null,
  ) {
    this.platformKeyDigest = platformApiKey === null ? null : digestOf(platformApiKey);
  }

  /**
   * A request's or a new socket's credential (`address`: the client's, for the throttling of refused connector
   * keys: TOO_MANY_REQUESTS while a key id or an address is blocked, see AuthThrottle). Asking again for a
   * credential already accepted goes through `current`, which is not throttled.
   */
  async authenticate(authorization: string | undefined | null, address: string | null = null): Promise<Principal | null> {
    if (authorization === undefined || authorization === null || authorization === '') return null;
    const keyId = this.throttle === null ? null : connectorKeyIdOf(authorization);
    // A key id not held in memory is read from the database: not while that id or the address is blocked.
    if (keyId !== null && this.models.companyOfKey(keyId) === undefined && !this.keyCompanies.has(keyId)) await this.throttle!.checkKey(keyId, address);
    const principal = await this.current(authorization);
    if (principal === null) {
      if (keyId !== null) await this.throttle!.keyRefused(keyId, address);
      throw errors.unauthenticated('Invalid credentials', true);
    }
    if (keyId !== null && principal.kind === 'connector') this.throttle!.keyAccepted(keyId);
    return principal;
  }

  /**
   * The principal a credential stands for now, or null when it stands for none (malformed, expired, revoked,
   * its login changed or gone). Long-lived connections ask again whenever their company's authority changed.
   */
  async current(authorization: string): Promise<Principal | null> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) return null;
    const token = match[1]!;
    if (this.platformKeyDigest !== null && timingSafeEqual(digestOf(token), this.platformKeyDigest)) return { kind: 'platform' };
    const connector = parseConnectorKey(token);
    if (connector !== null) {
      const companyId = await this.companyOfKey(connector.keyId);
      if (companyId === null) return null;
      const model = this.models.peek(companyId) ?? (await this.models.get(companyId));
      return model.connectorPrincipal(connector.keyId, sha256Hex(connector.secret));
    }
    const claims = this.claimsOf(token);
    if (claims === null) return null;
    return this.userPrincipal(claims.sub, claims.cid, claims.tv, claims.exp);
  }

  /** A user's principal now: null when the login is gone, inactive or `tokenVersion` is no longer its own. */
  async userPrincipal(userId: string, companyId: string, tokenVersion: number, tokenExp: number): Promise<UserPrincipal | null> {
    const model = this.models.peek(companyId) ?? (await this.models.get(companyId));
    return model.userPrincipal(userId, tokenVersion, tokenExp);
  }

  /** A user token's claims when it is valid now (signature, issuer, audience, expiry); null otherwise. */
  private claimsOf(token: string): (UserTokenClaims & { exp: number }) | null {
    const known = this.verified.get(token);
    if (known !== undefined) {
      if (known.exp * 1000 > Date.now()) return known;
      this.verified.delete(token);
      return null;
    }
    const claims = verifyUserToken(this.jwtSecret, token);
    if (claims === null) return null;
    if (this.verified.size >= VERIFIED_TOKENS_MAX) this.verified.clear();
    this.verified.set(token, claims);
    return claims;
  }

  private async companyOfKey(keyId: string): Promise<string | null> {
    const known = this.models.companyOfKey(keyId) ?? this.keyCompanies.get(keyId);
    if (known !== undefined) return known;
    const key = await this.dataSource.getRepository(ConnectorApiKey).findOne({ where: { id: keyId }, select: { id: true, companyId: true } });
    if (key === null) return null;
    if (this.keyCompanies.size >= KEY_COMPANIES_MAX) this.keyCompanies.clear();
    this.keyCompanies.set(keyId, key.companyId);
    return key.companyId;
  }
}

/** The key id of a bearer credential shaped like a connector key, else null. */
function connectorKeyIdOf(authorization: string): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  return match ? (parseConnectorKey(match[1]!)?.keyId ?? null) : null;
}
