import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { AuthThrottleConfig } from '../config';
import { errors, retryAfterSecOf } from '../errors';
import type { AuthThrottleStore } from '../store/auth-throttle-store';

/** Who tries to sign in, as given (the answer never says whether the company or the user exists). */
export interface SignInAttempt {
  companySlug: string;
  username: string;
  /** The client address (the TCP peer: `trust proxy` is off); null when unknown. */
  address: string | null;
}

/** How many key ids a success was recently forgotten for, per instance (the memo is cleared when full). */
const RESET_MEMO_MAX = 10_000;
/** A connector key's successes forget its failures at most this often per instance (not one write per request). */
const KEY_RESET_EVERY_MS = 60_000;
/** Longest text of a username or company slug written to the log. */
const LOGGED_MAX = 100;

/**
 * The key a client address counts under: IPv4 (also written IPv4-mapped, `::ffff:a.b.c.d`) as it is, IPv6 by
 * its /64 network, the smallest block one subscriber is usually given, so hopping over the addresses of one's
 * own network gains nothing.
 */
export function addressKey(address: string | null | undefined): string {
  if (address === null || address === undefined || address === '') return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%', 1)[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);
const short = (text: string) => (text.length > LOGGED_MAX ? `${text.slice(0, LOGGED_MAX)}…` : text);

/**
 * Throttling of failed sign-ins and connector keys (decision 016). Failures are counted per company+username
 * (per key id for connector keys) and per client address. Past the free number of each, every further
 * failure starts a block of growing length (`blockSec`, doubled each time, at most `maxBlockSec`) during which
 * attempts are answered TOO_MANY_REQUESTS (HTTP 429, `retryAfterSec`) without being checked or counted.
 *
 * Sign-ins: an attempt is counted for its company+username before the password is checked, so that of
 * concurrent guesses past the free number only one goes on; a success forgets that count. During a block
 * even the right password is refused: the block is what makes guessing slow. The address counts failures
 * only (an office behind one address signing in at nine is not throttled) and is not forgotten on success.
 * Whether the company or the user exists makes no difference to any of it.
 *
 * Connector keys: the secret (256 bits) cannot be guessed, so a valid key is always accepted, even while its
 * id or address is blocked (whoever knows a key id must not be able to cut a company's telephony off); refused
 * keys are counted and, past the free number, answered 429 without being looked up.
 */
export class AuthThrottle {
  /** When each connector key id's failures were last forgotten on a success, on this instance. */
  private readonly keyResets = new Map<string, number>();

  constructor(
    private readonly store: AuthThrottleStore,
    private readonly settings: AuthThrottleConfig,
    private readonly logger: Logger,
  ) {}

  /**
   * Before a password is checked: refuses (429) while the company+username or the address is blocked, and
   * counts the attempt for the company+username (past the free number it takes the one turn a block allows).
   */
  async beginSignIn(attempt: SignInAttempt): Promise<void> {
    const id = this.signInKey(attempt);
    const addr = `login-addr:${addressKey(attempt.address)}`;
    try {
      await this.refuseWhileBlocked('Too many failed sign-in attempts', id, addr);
      const n = await this.store.count(id, this.settings.windowSec);
      if (n > this.settings.freeFailures && !(await this.store.startBlock(id, this.blockSec(n, this.settings.freeFailures)))) {
        // A concurrent attempt took the turn and started the block.
        await this.refuseWhileBlocked('Too many failed sign-in attempts', id);
        throw errors.tooManyRequests('Too many failed sign-in attempts', 1);
      }
    } catch (error) {
      const retryAfterSec = retryAfterSecOf(error);
      if (retryAfterSec !== undefined) {
        this.logger.info({ company: short(attempt.companySlug), username: short(attempt.username), address: attempt.address, retryAfterSec }, 'sign-in refused while throttled');
      }
      throw error;
    }
  }

  /** A wrong company, username or password (or an inactive login): logged, and counted for the address. */
  async signInFailed(attempt: SignInAttempt): Promise<void> {
    this.logger.warn({ company: short(attempt.companySlug), username: short(attempt.username), address: attempt.address }, 'sign-in failed');
    const addr = `login-addr:${addressKey(attempt.address)}`;
    const n = await this.store.count(addr, this.settings.windowSec);
    if (n > this.settings.freeFailuresPerAddress) await this.store.startBlock(addr, this.blockSec(n, this.settings.freeFailuresPerAddress));
  }

  /** A sign-in that succeeded: its company+username starts again from zero. */
  async signInSucceeded(attempt: SignInAttempt): Promise<void> {
    await this.store.reset(this.signInKey(attempt));
  }

  /**
   * Before a connector key whose id is not held in memory is looked up in the database: refuses (429) while
   * that key id or the address is blocked for refused keys.
   */
  async checkKey(keyId: string, address: string | null): Promise<void> {
    await this.refuseWhileBlocked('Too many refused API keys', `key:${keyId.toLowerCase()}`, `key-addr:${addressKey(address)}`);
  }

  /**
   * A connector key that was refused (wrong secret, unknown or revoked): 429 while its id or the address is
   * blocked; otherwise logged and counted for both, starting a block past the free numbers. The caller then
   * answers UNAUTHENTICATED.
   */
  async keyRefused(keyId: string, address: string | null): Promise<void> {
    const key = `key:${keyId.toLowerCase()}`;
    const addr = `key-addr:${addressKey(address)}`;
    await this.refuseWhileBlocked('Too many refused API keys', key, addr);
    this.logger.warn({ keyId, address }, 'connector key refused');
    const [n, m] = await Promise.all([this.store.count(key, this.settings.windowSec), this.store.count(addr, this.settings.windowSec)]);
    if (n > this.settings.freeFailures) await this.store.startBlock(key, this.blockSec(n, this.settings.freeFailures));
    if (m > this.settings.freeFailuresPerAddress) await this.store.startBlock(addr, this.blockSec(m, this.settings.freeFailuresPerAddress));
  }

  /** A valid connector key: its failures are forgotten (at most once a minute per key id on this instance). */
  keyAccepted(keyId: string): void {
    const now = Date.now();
    const last = this.keyResets.get(keyId);
    if (last !== undefined && now - last < KEY_RESET_EVERY_MS) return;
    if (this.keyResets.size >= RESET_MEMO_MAX) this.keyResets.clear();
    this.keyResets.set(keyId, now);
    this.store.reset(`key:${keyId.toLowerCase()}`).catch((err: unknown) => this.logger.warn({ err: String(err) }, 'forgetting a connector key\'s failures failed'));
  }

  /** The length of the block that failure number `n` starts, past `free` free failures. */
  private blockSec(n: number, free: number): number {
    const doublings = Math.min(n - free - 1, 40);
    return Math.min(this.settings.blockSec * 2 ** doublings, this.settings.maxBlockSec);
  }

  private signInKey(attempt: SignInAttempt): string {
    // The same normalisation as the sign-in's own lookup, and letter case folded: `Admin` and `admin` count as one.
    return `login:${digest(`${attempt.companySlug.trim().toLowerCase()}\u0000${attempt.username.normalize('NFC').trim().toLowerCase()}`)}`;
  }

  private async refuseWhileBlocked(message: string, ...keys: string[]): Promise<void> {
    const left = Math.max(...(await Promise.all(keys.map((k) => this.store.blockedMs(k)))));
    if (left > 0) throw errors.tooManyRequests(message, Math.max(1, Math.ceil(left / 1000)));
  }
}
