import { randomBytes, randomUUID } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import pino from 'pino';
import WebSocket from 'ws';
import { ADMIN_PASSWORD, provisionCompany, type Company } from '../support/fixtures';
import { clusterAvailable, eventually, startCluster } from '../support/telephony';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

/**
 * Guessing sign-ins and connector keys is throttled (decision 016): per company+username (per key id) and per
 * client address, a few free failures, then blocks that grow, answered TOO_MANY_REQUESTS (HTTP 429) with
 * `extensions.retryAfterSec`. Every test sends from a loopback address of its own (127.0.0.x; the gateway
 * counts the TCP peer, `trust proxy` is off), so the per-address counts of one test never reach another's.
 */

/**
 * Blocks long enough that no sequence of requests outlives one, however busy the machine: the counts and
 * answers below follow from the rule alone (5 free failures, then one check per block).
 */
const LONG_BLOCKS = {
  AUTH_THROTTLE_FREE_FAILURES: '5',
  AUTH_THROTTLE_FREE_FAILURES_PER_ADDRESS: '20',
  AUTH_THROTTLE_BLOCK_SEC: '300',
  AUTH_THROTTLE_MAX_BLOCK_SEC: '900',
};

/** Short blocks, for the tests that see a block end: 2 s, then 4 s, 8 s at most. */
const SHORT_BLOCKS = { ...LONG_BLOCKS, AUTH_THROTTLE_BLOCK_SEC: '2', AUTH_THROTTLE_MAX_BLOCK_SEC: '8' };

const LOGIN = 'mutation($s: String!, $u: String!, $p: String!) { login(companySlug: $s, username: $u, password: $p) { token } }';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  code: string | undefined;
  message: string | undefined;
  retryAfterSec: number | undefined;
  data: any;
}

/** POSTs one operation to `url` from the local address `from`. */
function postFrom(url: string, from: string, query: string, variables: Record<string, unknown>, token?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST', localAddress: from, agent: false,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, any> }> };
        const error = body.errors?.[0];
        resolve({
          status: res.statusCode!, headers: res.headers, code: error?.extensions?.code, message: error?.message,
          retryAfterSec: error?.extensions?.retryAfterSec, data: body.data,
        });
      });
    });
    req.on('error', reject);
    req.end(JSON.stringify({ query, variables }));
  });
}

const signIn = (t: TestGateway, from: string, slug: string, username: string, password: string) => postFrom(t.url, from, LOGIN, { s: slug, u: username, p: password });
const badSecret = () => randomBytes(32).toString('base64url');
const keyIdOf = (key: string) => key.split('.')[1]!;
const ME = '{ __typename }';

/** Opens a graphql-ws socket from `from` and answers how connection_init went: acknowledged, or the close. */
function initFrom(t: TestGateway, from: string, token: string): Promise<'acknowledged' | { code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(t.url.replace(/^http/, 'ws'), 'graphql-transport-ws', { localAddress: from });
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    ws.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') {
        resolve('acknowledged');
        ws.close();
      }
    });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

describe('throttling of sign-ins and connector keys, on the embedded default', () => {
  let t: TestGateway;
  let short: TestGateway;
  let a: Company;
  let b: Company;
  let c: Company;
  let shortCompany: Company;
  const logs: Array<Record<string, any>> = [];

  beforeAll(async () => {
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    t = await startTestGateway('sqlite', LONG_BLOCKS, { logger });
    short = await startTestGateway('sqlite', SHORT_BLOCKS);
    a = await provisionCompany(t, 'throttle-a');
    b = await provisionCompany(t, 'throttle-b');
    c = await provisionCompany(t, 'throttle-c');
    shortCompany = await provisionCompany(short, 'throttle-short');
  });
  afterAll(async () => {
    await t?.close();
    await short?.close();
  });

  it('refuses the right password after 200 wrong ones (429 TOO_MANY_REQUESTS with retryAfterSec and Retry-After): only the free failures and the one guess a block allows were checked', async () => {
    const from = '127.0.0.11';
    const answers: Answer[] = [];
    for (let i = 0; i < 200; i += 1) answers.push(await signIn(t, from, a.slug, 'admin', `wrong-${i}`));
    expect(answers.slice(0, 6).map((r) => r.code)).toEqual(Array(6).fill('UNAUTHENTICATED'));
    const refused = answers.slice(6);
    for (const r of refused) {
      expect(r).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
      expect(r.retryAfterSec).toBeGreaterThanOrEqual(1);
      expect(r.retryAfterSec).toBeLessThanOrEqual(300);
      expect(r.headers['retry-after']).toBe(String(r.retryAfterSec));
    }

    const right = await signIn(t, from, a.slug, 'admin', ADMIN_PASSWORD);
    expect(right).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
    expect(right.data?.login ?? null).toBeNull();
  });

  it('makes each block longer than the last, accepts the right password once the block is over, and a success starts the count again', async () => {
    const from = '127.0.0.12';
    const user = 'admin';
    const slug = shortCompany.slug;
    for (let i = 0; i < 6; i += 1) expect((await signIn(short, from, slug, user, 'wrong')).code).toBe('UNAUTHENTICATED');
    const first = await signIn(short, from, slug, user, 'wrong');
    expect(first).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS', retryAfterSec: 2 });
    // Asked again until the block is over: refused attempts are not counted, the first one through is.
    const through = await eventually(async () => {
      const r = await signIn(short, from, slug, user, 'wrong');
      return r.code !== 'TOO_MANY_REQUESTS' && r;
    }, 20_000);
    expect(through.code).toBe('UNAUTHENTICATED');
    const second = await signIn(short, from, slug, user, 'wrong');
    expect(second).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
    expect(second.retryAfterSec).toBeGreaterThan(first.retryAfterSec!);
    expect(second.retryAfterSec).toBeLessThanOrEqual(4);

    // The right password is refused while blocked and accepted once the block is over.
    expect(await signIn(short, from, slug, user, ADMIN_PASSWORD)).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
    const signedIn = await eventually(async () => {
      const r = await signIn(short, from, slug, user, ADMIN_PASSWORD);
      return r.code !== 'TOO_MANY_REQUESTS' && r;
    }, 20_000);
    expect(signedIn.data.login.token).toEqual(expect.any(String));

    // The success forgot the failures: five wrong passwords are plain refusals again.
    for (let i = 0; i < 5; i += 1) expect((await signIn(short, from, slug, user, `again-${i}`)).code).toBe('UNAUTHENTICATED');
  });

  it('answers an unknown username exactly as a wrong password of a real one, throttled alike', async () => {
    const shape = (r: Answer) => ({ status: r.status, code: r.code, message: r.message?.replace(/\d+ s$/, 'N s') });
    const real: Answer[] = [];
    const unknown: Answer[] = [];
    for (let i = 0; i < 8; i += 1) real.push(await signIn(t, '127.0.0.13', c.slug, 'admin', `wrong-${i}`));
    for (let i = 0; i < 8; i += 1) unknown.push(await signIn(t, '127.0.0.14', c.slug, 'nobody-by-that-name', `wrong-${i}`));
    expect(unknown.map(shape)).toEqual(real.map(shape));
    expect(real.map((r) => r.code)).toEqual([...Array(6).fill('UNAUTHENTICATED'), 'TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS']);
    // And an unknown company is no different.
    const company: Answer[] = [];
    for (let i = 0; i < 8; i += 1) company.push(await signIn(t, '127.0.0.15', 'no-such-company', 'admin', `wrong-${i}`));
    expect(company.map(shape)).toEqual(real.map(shape));
  });

  it('does not let a flood of wrong passwords for one company slow another: at most the free failures and one guess are checked, and the other company signs in at once', async () => {
    const flood = Array.from({ length: 60 }, (_, i) => signIn(t, '127.0.0.16', a.slug, 'flooded', `wrong-${i}`));
    const other = signIn(t, '127.0.0.17', b.slug, 'admin', ADMIN_PASSWORD);
    const answers = await Promise.all(flood);
    const checked = answers.filter((r) => r.code === 'UNAUTHENTICATED').length;
    expect(checked).toBeLessThanOrEqual(6);
    expect(answers.filter((r) => r.code === 'TOO_MANY_REQUESTS').length).toBe(60 - checked);
    const signedIn = await other;
    expect(signedIn.code).toBeUndefined();
    expect(signedIn.data.login.token).toEqual(expect.any(String));
    // The same username in the other company is a login of its own.
    expect((await signIn(t, '127.0.0.17', b.slug, 'flooded', 'wrong')).code).toBe('UNAUTHENTICATED');
  });

  it('blocks an address that fails more than its budget over many usernames, even for another user\'s right password, and no other address', async () => {
    const from = '127.0.0.18';
    for (let i = 0; i < 21; i += 1) expect((await signIn(t, from, a.slug, `spray-${i}`, 'Winter2026!')).code).toBe('UNAUTHENTICATED');
    const blocked = await signIn(t, from, b.slug, 'admin', ADMIN_PASSWORD);
    expect(blocked).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
    const elsewhere = await signIn(t, '127.0.0.19', b.slug, 'admin', ADMIN_PASSWORD);
    expect(elsewhere.data.login.token).toEqual(expect.any(String));
  });

  it('logs every failed sign-in with the company, the username and the address, never the password', async () => {
    const password = `guess-${randomUUID()}`;
    await signIn(t, '127.0.0.20', a.slug, 'log-probe', password);
    const line = logs.find((l) => l.msg === 'sign-in failed' && l.username === 'log-probe');
    expect(line).toMatchObject({ company: a.slug, username: 'log-probe', address: '127.0.0.20' });
    expect(JSON.stringify(logs)).not.toContain(password);
  });

  describe('connector keys', () => {
    let key: string;
    let otherKey: string;
    beforeAll(async () => {
      key = (await t.ok('mutation { createConnectorApiKey(name: "throttled") { apiKey } }', {}, a.adminToken)).createConnectorApiKey.apiKey;
      otherKey = (await t.ok('mutation { createConnectorApiKey(name: "other company") { apiKey } }', {}, b.adminToken)).createConnectorApiKey.apiKey;
    });

    it('answers a key id guessed with wrong secrets 429 after the free failures over HTTP, while the valid key of that id and another company\'s key keep working', async () => {
      const from = '127.0.0.21';
      const wrong = () => `ck.${keyIdOf(key)}.${badSecret()}`;
      for (let i = 0; i < 6; i += 1) {
        const r = await postFrom(t.url, from, ME, {}, wrong());
        expect({ status: r.status, code: r.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      }
      const refused = await postFrom(t.url, from, ME, {}, wrong());
      expect(refused).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
      expect(refused.retryAfterSec).toBeGreaterThanOrEqual(1);
      // A valid key cannot be guessed: whoever knows its id cannot lock the company's telephony out.
      expect((await postFrom(t.url, from, ME, {}, key)).data).toEqual({ __typename: 'Query' });
      expect((await postFrom(t.url, from, ME, {}, otherKey)).data).toEqual({ __typename: 'Query' });
      const logged = logs.find((l) => l.msg === 'connector key refused' && l.keyId === keyIdOf(key));
      expect(logged).toMatchObject({ address: from });
    });

    it('answers an address that tries many unknown key ids 429 once past its budget, without looking them up', async () => {
      const from = '127.0.0.22';
      for (let i = 0; i < 21; i += 1) expect((await postFrom(t.url, from, ME, {}, `ck.${randomUUID()}.${badSecret()}`)).status).toBe(401);
      expect(await postFrom(t.url, from, ME, {}, `ck.${randomUUID()}.${badSecret()}`)).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
      expect((await postFrom(t.url, '127.0.0.23', ME, {}, `ck.${randomUUID()}.${badSecret()}`)).status).toBe(401);
    });

    it('closes a WebSocket whose connection_init carries a blocked key id with 4429 saying when to retry (4403 before), and still accepts the valid key', async () => {
      const from = '127.0.0.24';
      const id = keyIdOf(otherKey);
      for (let i = 0; i < 6; i += 1) expect(await initFrom(t, from, `ck.${id}.${badSecret()}`)).toEqual({ code: 4403, reason: 'Forbidden' });
      const closed = await initFrom(t, from, `ck.${id}.${badSecret()}`);
      expect(closed).toEqual({ code: 4429, reason: expect.stringMatching(/^Too many requests; retry after \d+ s$/) });
      expect(await initFrom(t, from, otherKey)).toBe('acknowledged');
    });
  });
});

const cluster = clusterAvailable() ? describe : describe.skip;

cluster('throttling of sign-ins in cluster mode (PostgreSQL and Redis, two instances)', () => {
  let c: Awaited<ReturnType<typeof startCluster>>;
  let company: Company;

  beforeAll(async () => {
    // 5 free failures, then blocks from 5 s: long enough that the requests below fall inside one.
    c = await startCluster(2, {}, { AUTH_THROTTLE_BLOCK_SEC: '5', AUTH_THROTTLE_MAX_BLOCK_SEC: '10' });
    company = await provisionCompany(c.nodes[0]!, `throttle-${randomUUID().slice(0, 8)}`);
  });
  afterAll(async () => {
    await c?.close();
  });

  it('counts failures on both instances together and holds the block on both, the right password included', async () => {
    const [one, two] = c.nodes as [TestGateway, TestGateway];
    const from = '127.0.0.31';
    for (let i = 0; i < 6; i += 1) expect((await signIn(i % 2 === 0 ? one : two, from, company.slug, 'admin', `wrong-${i}`)).code).toBe('UNAUTHENTICATED');
    for (const node of [one, two]) {
      const refused = await signIn(node, from, company.slug, 'admin', ADMIN_PASSWORD);
      expect(refused).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
    }
    // Asked again on the other instance until the block is over (refusals are not counted).
    const signedIn = await eventually(async () => {
      const r = await signIn(two, from, company.slug, 'admin', ADMIN_PASSWORD);
      return r.code !== 'TOO_MANY_REQUESTS' && r;
    }, 30_000);
    expect(signedIn.data.login.token).toEqual(expect.any(String));
    // The success on one instance reset the count for both.
    expect((await signIn(one, from, company.slug, 'admin', 'wrong-again')).code).toBe('UNAUTHENTICATED');
  });

  it('answers a key id guessed on two instances 429 on both once past the free failures', async () => {
    const [one, two] = c.nodes as [TestGateway, TestGateway];
    const key = (await one.ok('mutation { createConnectorApiKey(name: "k") { apiKey } }', {}, company.adminToken)).createConnectorApiKey.apiKey as string;
    const from = '127.0.0.32';
    for (let i = 0; i < 6; i += 1) expect((await postFrom((i % 2 === 0 ? one : two).url, from, ME, {}, `ck.${keyIdOf(key)}.${badSecret()}`)).status).toBe(401);
    for (const node of [one, two]) expect(await postFrom(node.url, from, ME, {}, `ck.${keyIdOf(key)}.${badSecret()}`)).toMatchObject({ status: 429, code: 'TOO_MANY_REQUESTS' });
    expect((await postFrom(two.url, from, ME, {}, key)).data).toEqual({ __typename: 'Query' });
  });
});
