import { createHmac, randomUUID } from 'node:crypto';
import { createDestination, provisionCompany, type Company } from '../support/fixtures';
import { RawSocket } from '../support/raw-socket';
import { routingModes } from '../support/telephony';
import { JWT_SECRET, type TestGateway } from '../support/test-gateway';

jest.setTimeout(30_000);

/**
 * The red-team classics the gateway already resisted over HTTP (cross-tenant ids, forged tokens, depth and
 * alias limits: authentication.test.ts, tenant-isolation.test.ts and hardening.test.ts beside this file),
 * driven over the graphql-ws socket as well, on the embedded default and in cluster mode. Each test names the
 * safe outcome it proves.
 */

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT with the given header and claims, signed with `secret` (HS256), or unsigned when `secret` is null. */
function token(header: Record<string, unknown>, claims: Record<string, unknown>, secret: string | null): string {
  const body = `${b64(header)}.${b64(claims)}`;
  return secret === null ? `${body}.` : `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

const UPDATES = 'subscription($ids: [ID!]) { externalDestinationUpdates(ids: $ids) { destinationId } }';

describe.each(routingModes().map((m) => [m.name, m] as const))('red-team classics over WebSocket (%s)', (_name, mode) => {
  let t: TestGateway;
  let a: Company;
  let b: Company;
  let foreignId: string;

  beforeAll(async () => {
    t = await mode.start();
    a = await provisionCompany(t, `classic-a-${randomUUID().slice(0, 8)}`);
    b = await provisionCompany(t, `classic-b-${randomUUID().slice(0, 8)}`);
    foreignId = (await createDestination(t, b.adminToken, { name: 'B only' })).id;
  });
  afterEach(() => RawSocket.closeAll());
  afterAll(async () => {
    await t?.close();
  });

  it('answers a subscription to another company\'s destination exactly as one to an id that does not exist: NOT_FOUND, no event', async () => {
    const socket = await RawSocket.accepted(t, a.adminToken);
    socket.subscribe('foreign', UPDATES, { ids: [foreignId] });
    socket.subscribe('random', UPDATES, { ids: [randomUUID()] });
    await socket.waitFor((m) => m.id === 'foreign' && m.type === 'complete');
    await socket.waitFor((m) => m.id === 'random' && m.type === 'complete');
    const shape = (id: string) => socket.errorsOf(id).map((e) => ({ message: e.message, code: e.extensions?.code }));
    expect(shape('foreign')).toEqual([{ message: expect.any(String), code: 'NOT_FOUND' }]);
    expect(shape('foreign')).toEqual(shape('random').map((e) => ({ ...e, message: expect.any(String) })));
    expect(JSON.stringify(socket.errorsOf('foreign'))).not.toContain(foreignId);
    expect(socket.nexts('foreign').filter((p) => p.data)).toEqual([]);
  });

  it.each([
    ['an unsigned token with alg "none"', (claims: Record<string, unknown>) => token({ alg: 'none', typ: 'JWT' }, claims, null)],
    ['a token signed with another secret', (claims: Record<string, unknown>) => token({ alg: 'HS256', typ: 'JWT' }, claims, 'not-the-secret-0123456789abcdef0123')],
    ['a token whose claims were rewritten to another company, keeping the signature', (claims: Record<string, unknown>) => {
      const real = a.adminToken.split('.');
      return `${real[0]}.${b64({ ...claims, cid: b.id })}.${real[2]}`;
    }],
    ['an expired token signed with the right secret', (claims: Record<string, unknown>) => token({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: 1_000, exp: 2_000 }, JWT_SECRET)],
  ])('closes a socket whose connection_init carries %s with 4403, before any subscription runs', async (_what, forge) => {
    const socket = await RawSocket.connect(t, forge(claimsOf(a.adminToken)));
    expect(await socket.outcome()).toEqual({ code: 4403, reason: 'Forbidden' });
    expect(socket.messages.filter((m) => m.type === 'connection_ack')).toEqual([]);
  });

  it('refuses a subscription aliased past the limit with QUERY_TOO_COMPLEX, and the socket goes on serving', async () => {
    const socket = await RawSocket.accepted(t, a.adminToken);
    const aliases = Array.from({ length: 100 }, (_, i) => `a${i}: destinationId`).join(' ');
    socket.subscribe('aliased', `subscription { externalDestinationUpdates { ${aliases} } }`);
    const error = await socket.waitFor((m) => m.id === 'aliased' && m.type === 'error');
    expect(error.payload.map((e: any) => e.extensions?.code)).toContain('QUERY_TOO_COMPLEX');
    // The same socket still answers the next subscription (here one for an id that does not exist).
    socket.subscribe('next', UPDATES, { ids: [randomUUID()] });
    await socket.waitFor((m) => m.id === 'next' && m.type === 'complete');
    expect(socket.errorsOf('next').map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(socket.isOpen).toBe(true);
  });
});
