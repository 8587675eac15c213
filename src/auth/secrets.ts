import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 hex of a high-entropy secret (API keys); not for passwords. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** SHA-256 of a secret as bytes: secrets are compared by their digests, in constant time whatever their lengths. */
export function digestOf(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Compares two secrets in constant time, whatever their lengths. */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(digestOf(a), digestOf(b));
}

const CONNECTOR_KEY = /^ck\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

/** A new connector API key for key id `keyId`: the full key (shown once) and the hash to store. */
export function mintConnectorKey(keyId: string): { apiKey: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { apiKey: `ck.${keyId}.${secret}`, secretHash: sha256Hex(secret) };
}

/** Splits a bearer token that looks like a connector key into its id and secret; null otherwise. */
export function parseConnectorKey(token: string): { keyId: string; secret: string } | null {
  const m = CONNECTOR_KEY.exec(token);
  return m ? { keyId: m[1]!, secret: m[2]! } : null;
}
