import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

const ISSUER = 'contact-routing-gateway';
const AUDIENCE = 'company-user';

export interface UserTokenClaims {
  /** user login id */
  sub: string;
  /** company id */
  cid: string;
  /** token version of the login when the token was issued */
  tv: number;
}

/**
 * The secret as a key object, made once per secret: given a string, the JWT library first tries to read it
 * as a public key on every call, which costs far more than the HMAC itself.
 */
const keys = new Map<string, KeyObject>();
function keyOf(secret: string): KeyObject {
  let key = keys.get(secret);
  if (key === undefined) {
    if (keys.size > 16) keys.clear();
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

/** Signs a user token (HS256) that expires after `ttlSec`; returns it with its expiry. */
export function signUserToken(secret: string, claims: UserTokenClaims, ttlSec: number): { token: string; expiresAt: Date } {
  const token = jwt.sign({ cid: claims.cid, tv: claims.tv }, keyOf(secret), {
    algorithm: 'HS256',
    subject: claims.sub,
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: ttlSec,
  });
  const { exp } = jwt.decode(token) as { exp: number };
  return { token, expiresAt: new Date(exp * 1000) };
}

/** Verifies signature, algorithm, issuer, audience and expiry; null for any token that is not valid now. */
export function verifyUserToken(secret: string, token: string): (UserTokenClaims & { exp: number }) | null {
  try {
    const payload = jwt.verify(token, keyOf(secret), { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
    if (typeof payload !== 'object' || typeof payload.sub !== 'string') return null;
    const { cid, tv, exp } = payload as Record<string, unknown>;
    if (typeof cid !== 'string' || typeof tv !== 'number' || typeof exp !== 'number') return null;
    return { sub: payload.sub, cid, tv, exp };
  } catch {
    return null;
  }
}
