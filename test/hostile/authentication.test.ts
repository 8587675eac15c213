import jwt from 'jsonwebtoken';
import { dialects } from '../support/dialects';
import { ADMIN_PASSWORD, USER_PASSWORD, codeOf, createUser, login, provisionCompany, type Company } from '../support/fixtures';
import { JWT_SECRET, PLATFORM_KEY, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/test-gateway';

/** The issuer and audience src/auth/tokens.ts signs user tokens with. */
const ISSUER = 'contact-routing-gateway';
const AUDIENCE = 'company-user';

const LOGIN = `mutation($s: String!, $u: String!, $p: String!) { login(companySlug: $s, username: $u, password: $p) { token expiresAt user { username } } }`;
const ME = `{ me { id username kind company { id slug } } }`;
const UPDATE_USER = `mutation($id: ID!, $i: UpdateUserLoginInput!) { updateUserLogin(id: $id, input: $i) { id kind active version } }`;

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** Replaces the character at `index` of `text` by a different one of the base64url alphabet. */
function changeCharAt(text: string, index: number): string {
  const replacement = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

/** The claims of a real user token (sub, cid, tv), read without verifying it. */
function claimsOf(token: string): { sub: string; cid: string; tv: number } {
  const { sub, cid, tv } = jwt.decode(token) as { sub: string; cid: string; tv: number };
  return { sub, cid, tv };
}

/** Signs a user token the way src/auth/tokens.ts does, with a chosen secret and expiry (seconds since the epoch). */
function forgeToken(claims: { sub: string; cid: string; tv: number }, secret: string, exp: number): string {
  const iat = Math.min(exp - 60, Math.floor(Date.now() / 1000));
  return jwt.sign({ cid: claims.cid, tv: claims.tv, iat, exp }, secret, { algorithm: 'HS256', subject: claims.sub, issuer: ISSUER, audience: AUDIENCE });
}

describe.each(dialects())('authentication on %s', (dialect) => {
  let t: TestGateway;
  let company: Company;
  let adminId: string;

  beforeAll(async () => {
    t = await startTestGateway(dialect);
    company = await provisionCompany(t, 'auth-co');
    adminId = (await t.ok(ME, {}, company.adminToken)).me.id;
  });
  afterAll(() => t.close());

  /** Asks `me` with a token and returns the first error code. */
  async function meCode(token: string | undefined): Promise<string | undefined> {
    return codeOf(await t.gql(ME, {}, token));
  }

  describe('signing in', () => {
    it('gives the identical UNAUTHENTICATED answer for a wrong password, an unknown username and an unknown company', async () => {
      const attempts: GraphQLResponse[] = await Promise.all([
        t.gql(LOGIN, { s: company.slug, u: 'admin', p: 'wrong-password-000' }),
        t.gql(LOGIN, { s: company.slug, u: 'nobody-by-this-name', p: ADMIN_PASSWORD }),
        t.gql(LOGIN, { s: 'no-such-company', u: 'admin', p: ADMIN_PASSWORD }),
      ]);
      for (const res of attempts) {
        expect(codeOf(res)).toBe('UNAUTHENTICATED');
        expect(res.errors).toHaveLength(1);
        expect(res.data?.login ?? null).toBeNull();
      }
      const messages = attempts.map((res) => res.errors![0]!.message);
      expect(new Set(messages).size).toBe(1);
      expect(messages[0]).not.toMatch(/exist|unknown|not found|no such|wrong password/i);
      // Nothing else in the answers tells the three cases apart either.
      const shapes = attempts.map((res) => JSON.stringify({ errors: res.errors!.map(({ message, extensions }) => ({ message, extensions })) }));
      expect(new Set(shapes).size).toBe(1);
    });

    it('signs in with the right password and returns a token that works for `me`', async () => {
      const res = await t.gql(LOGIN, { s: company.slug, u: 'admin', p: ADMIN_PASSWORD });
      expect(res.errors).toBeUndefined();
      expect(res.data.login.user).toEqual({ username: 'admin' });
      expect(new Date(res.data.login.expiresAt).getTime()).toBeGreaterThan(Date.now());
      const me = await t.ok(`{ me { username kind } }`, {}, res.data.login.token);
      expect(me).toEqual({ me: { username: 'admin', kind: 'COMPANY_ADMIN' } });
    });

    it('accepts the company slug in any letter case', async () => {
      const token = await login(t, company.slug.toUpperCase(), 'admin', ADMIN_PASSWORD);
      expect((await t.ok(`{ me { username } }`, {}, token)).me.username).toBe('admin');
    });
  });

  describe('user tokens', () => {
    let userToken: string;
    beforeAll(async () => {
      userToken = (await createUser(t, company, { username: 'token-user', kind: 'SUPERVISOR' })).token;
    });

    it('accepts a token signed with the same secret, claims, issuer and audience (so the forged tokens below differ only where intended)', async () => {
      const token = forgeToken(claimsOf(userToken), JWT_SECRET, Math.floor(Date.now() / 1000) + 600);
      expect(await t.ok(`{ me { username } }`, {}, token)).toEqual({ me: { username: 'token-user' } });
    });

    it('refuses an expired token with UNAUTHENTICATED', async () => {
      const token = forgeToken(claimsOf(userToken), JWT_SECRET, Math.floor(Date.now() / 1000) - 60);
      expect(await meCode(token)).toBe('UNAUTHENTICATED');
    });

    it('refuses a token with one character of its payload changed', async () => {
      const [header, payload, signature] = userToken.split('.') as [string, string, string];
      const token = [header, changeCharAt(payload, Math.floor(payload.length / 2)), signature].join('.');
      expect(token).not.toBe(userToken);
      expect(await meCode(token)).toBe('UNAUTHENTICATED');
    });

    it('refuses a token with one character of its signature changed', async () => {
      const [header, payload, signature] = userToken.split('.') as [string, string, string];
      const token = [header, payload, changeCharAt(signature, Math.floor(signature.length / 2))].join('.');
      expect(await meCode(token)).toBe('UNAUTHENTICATED');
    });

    it('refuses a token whose payload was rewritten to name the administrator, keeping the original signature', async () => {
      const [header, payload, signature] = userToken.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const token = [header, base64url(JSON.stringify({ ...claims, sub: adminId })), signature].join('.');
      expect(await meCode(token)).toBe('UNAUTHENTICATED');
    });

    it('refuses a token signed with another secret', async () => {
      const token = forgeToken(claimsOf(userToken), 'another-secret-that-is-long-enough-0123456789', Math.floor(Date.now() / 1000) + 600);
      expect(await meCode(token)).toBe('UNAUTHENTICATED');
    });

    it('refuses an unsigned token with alg "none"', async () => {
      const { sub, cid, tv } = claimsOf(userToken);
      const now = Math.floor(Date.now() / 1000);
      const payload = base64url(JSON.stringify({ cid, tv, iat: now, exp: now + 600, sub, iss: ISSUER, aud: AUDIENCE }));
      for (const alg of ['none', 'None', 'NONE']) {
        const header = base64url(JSON.stringify({ alg, typ: 'JWT' }));
        expect(await meCode(`${header}.${payload}.`)).toBe('UNAUTHENTICATED');
      }
    });

    it('refuses a token with the wrong issuer or audience', async () => {
      const { sub, cid, tv } = claimsOf(userToken);
      const wrongIssuer = jwt.sign({ cid, tv }, JWT_SECRET, { algorithm: 'HS256', subject: sub, issuer: 'someone-else', audience: AUDIENCE, expiresIn: 600 });
      const wrongAudience = jwt.sign({ cid, tv }, JWT_SECRET, { algorithm: 'HS256', subject: sub, issuer: ISSUER, audience: 'connector', expiresIn: 600 });
      expect(await meCode(wrongIssuer)).toBe('UNAUTHENTICATED');
      expect(await meCode(wrongAudience)).toBe('UNAUTHENTICATED');
    });

    it('refuses a token that names the user in another company', async () => {
      const other = await provisionCompany(t, 'auth-other-co');
      const token = forgeToken({ ...claimsOf(userToken), cid: other.id }, JWT_SECRET, Math.floor(Date.now() / 1000) + 600);
      expect(await meCode(token)).toBe('UNAUTHENTICATED');
    });

    it('answers `me` without a token with UNAUTHENTICATED', async () => {
      expect(await meCode(undefined)).toBe('UNAUTHENTICATED');
    });

    it('refuses an Authorization header that is not a bearer credential, or a bearer of garbage', async () => {
      for (const authorization of ['Basic YWRtaW46YWRtaW4=', 'Bearer', 'Bearer not-a-token', `Token ${userToken}`]) {
        const res = await fetch(t.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ query: ME }),
        });
        const body = (await res.json()) as { errors?: Array<{ extensions?: Record<string, any> }> };
        expect(codeOf(body)).toBe('UNAUTHENTICATED');
      }
    });

    it('answers a refused credential with a client error status, never a 5xx server error', async () => {
      const expired = forgeToken(claimsOf(userToken), JWT_SECRET, Math.floor(Date.now() / 1000) - 60);
      for (const token of ['not-a-token', expired, `${userToken}x`]) {
        const res = await t.gql(ME, {}, token);
        expect(codeOf(res)).toBe('UNAUTHENTICATED');
        expect(res.status).toBeLessThan(500);
      }
    });
  });

  describe('changes to a login', () => {
    it('ends the old token when the password changes; the new password signs in and the old one does not', async () => {
      const user = await createUser(t, company, { username: 'changes-password', kind: 'AGENT' });
      expect(await meCode(user.token)).toBeUndefined();
      await t.ok(UPDATE_USER, { id: user.id, i: { password: 'a-brand-new-password-456' } }, company.adminToken);
      expect(await meCode(user.token)).toBe('UNAUTHENTICATED');
      expect(codeOf(await t.gql(LOGIN, { s: company.slug, u: 'changes-password', p: USER_PASSWORD }))).toBe('UNAUTHENTICATED');
      const fresh = await login(t, company.slug, 'changes-password', 'a-brand-new-password-456');
      expect((await t.ok(`{ me { username } }`, {}, fresh)).me.username).toBe('changes-password');
    });

    it('ends the token of a deactivated login and refuses its sign-in with the same message as a wrong password', async () => {
      const user = await createUser(t, company, { username: 'leaver', kind: 'SUPERVISOR' });
      const updated = await t.ok(UPDATE_USER, { id: user.id, i: { active: false } }, company.adminToken);
      expect(updated.updateUserLogin.active).toBe(false);
      expect(await meCode(user.token)).toBe('UNAUTHENTICATED');
      const refused = await t.gql(LOGIN, { s: company.slug, u: 'leaver', p: USER_PASSWORD });
      const wrongPassword = await t.gql(LOGIN, { s: company.slug, u: 'admin', p: 'wrong-password-000' });
      expect(codeOf(refused)).toBe('UNAUTHENTICATED');
      expect(refused.errors![0]!.message).toBe(wrongPassword.errors![0]!.message);
    });

    it('does not revive the old tokens of a login that is reactivated', async () => {
      const user = await createUser(t, company, { username: 'returner', kind: 'AGENT' });
      await t.ok(UPDATE_USER, { id: user.id, i: { active: false } }, company.adminToken);
      await t.ok(UPDATE_USER, { id: user.id, i: { active: true } }, company.adminToken);
      expect(await meCode(user.token)).toBe('UNAUTHENTICATED');
      const fresh = await login(t, company.slug, 'returner', USER_PASSWORD);
      expect(await meCode(fresh)).toBeUndefined();
    });

    it('keeps the last active administrator: deactivating or demoting it is a CONFLICT and changes nothing', async () => {
      const solo = await provisionCompany(t, 'auth-solo-co');
      const soloAdminId = (await t.ok(ME, {}, solo.adminToken)).me.id;
      const deactivate = await t.gql(UPDATE_USER, { id: soloAdminId, i: { active: false } }, solo.adminToken);
      expect(codeOf(deactivate)).toBe('CONFLICT');
      for (const kind of ['SUPERVISOR', 'AGENT']) {
        const demote = await t.gql(UPDATE_USER, { id: soloAdminId, i: { kind } }, solo.adminToken);
        expect(codeOf(demote)).toBe('CONFLICT');
      }
      // Nothing changed: the administrator is still active, still an administrator, and its token still works.
      expect(await t.ok(`{ me { kind active } }`, {}, solo.adminToken)).toEqual({ me: { kind: 'COMPANY_ADMIN', active: true } });
      expect(await meCode(await login(t, solo.slug, 'admin', ADMIN_PASSWORD))).toBeUndefined();
    });

    it('lets an administrator be demoted once another active administrator exists', async () => {
      const pair = await provisionCompany(t, 'auth-pair-co');
      const firstId = (await t.ok(ME, {}, pair.adminToken)).me.id;
      const second = await createUser(t, pair, { username: 'second-admin', kind: 'COMPANY_ADMIN' });
      const demoted = await t.ok(UPDATE_USER, { id: firstId, i: { kind: 'SUPERVISOR' } }, second.token);
      expect(demoted.updateUserLogin.kind).toBe('SUPERVISOR');
      // Now the second is the last one.
      expect(codeOf(await t.gql(UPDATE_USER, { id: second.id, i: { active: false } }, second.token))).toBe('CONFLICT');
    });
  });

  describe('the platform operator key', () => {
    it('may create a company', async () => {
      const res = await t.gql(
        `mutation($i: CreateCompanyInput!) { createCompany(input: $i) { slug } }`,
        { i: { name: 'By operator', slug: 'auth-operator-co', timeZone: 'Europe/Paris', adminUsername: 'boss', adminPassword: 'boss-password-123' } },
        PLATFORM_KEY,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data.createCompany).toEqual({ slug: 'auth-operator-co' });
    });

    it('is FORBIDDEN to read company data such as `me` or `externalDestinations`', async () => {
      expect(await meCode(PLATFORM_KEY)).toBe('FORBIDDEN');
      expect(codeOf(await t.gql(`{ externalDestinations { totalCount } }`, {}, PLATFORM_KEY))).toBe('FORBIDDEN');
      expect(codeOf(await t.gql(`{ userLogins { totalCount } }`, {}, PLATFORM_KEY))).toBe('FORBIDDEN');
    });

    it('does not let a company administrator create a company', async () => {
      const res = await t.gql(
        `mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }`,
        { i: { name: 'Sneaky', slug: 'auth-sneaky-co', timeZone: 'Europe/London', adminUsername: 'x', adminPassword: 'x-password-123' } },
        company.adminToken,
      );
      expect(codeOf(res)).toBe('FORBIDDEN');
      expect(codeOf(await t.gql(LOGIN, { s: 'auth-sneaky-co', u: 'x', p: 'x-password-123' }))).toBe('UNAUTHENTICATED');
    });
  });

  describe('connector API keys', () => {
    const CREATE_KEY = `mutation($n: String!) { createConnectorApiKey(name: $n) { apiKey key { id name createdAt revokedAt } } }`;
    const LIST_KEYS = `{ connectorApiKeys { totalCount nodes { id name createdAt revokedAt } } }`;

    it('authenticate as a connector (FORBIDDEN for user operations, not UNAUTHENTICATED) until revoked, then UNAUTHENTICATED', async () => {
      const created = (await t.ok(CREATE_KEY, { n: 'Telephony A' }, company.adminToken)).createConnectorApiKey;
      expect(created.key.revokedAt).toBeNull();
      expect(created.apiKey).toContain(created.key.id);
      expect(codeOf(await t.gql(`{ externalDestinations { totalCount } }`, {}, created.apiKey))).toBe('FORBIDDEN');
      expect(await meCode(created.apiKey)).toBe('FORBIDDEN');

      const revoked = await t.ok(`mutation($id: ID!) { revokeConnectorApiKey(id: $id) { id revokedAt } }`, { id: created.key.id }, company.adminToken);
      expect(revoked.revokeConnectorApiKey.id).toBe(created.key.id);
      expect(revoked.revokeConnectorApiKey.revokedAt).not.toBeNull();
      expect(codeOf(await t.gql(`{ externalDestinations { totalCount } }`, {}, created.apiKey))).toBe('UNAUTHENTICATED');
      expect(await meCode(created.apiKey)).toBe('UNAUTHENTICATED');
    });

    it('tells a connector which key and company it is, never the secret, and nobody else', async () => {
      const created = (await t.ok(CREATE_KEY, { n: 'Telephony self' }, company.adminToken)).createConnectorApiKey;
      const SELF = '{ connectorSelf { key { id name revokedAt } company { id slug } } }';
      const self = (await t.ok(SELF, {}, created.apiKey)).connectorSelf;
      expect(self).toEqual({ key: { id: created.key.id, name: 'Telephony self', revokedAt: null }, company: { id: company.id, slug: 'auth-co' } });
      expect(JSON.stringify(self)).not.toContain(created.apiKey.slice(created.apiKey.lastIndexOf('.') + 1));
      expect(codeOf(await t.gql(SELF, {}, company.adminToken))).toBe('FORBIDDEN');
      expect(codeOf(await t.gql(SELF, {}))).toBe('UNAUTHENTICATED');
    });

    it('refuses a key with the right id but a wrong secret', async () => {
      const created = (await t.ok(CREATE_KEY, { n: 'Telephony B' }, company.adminToken)).createConnectorApiKey;
      const secret = created.apiKey.slice(created.apiKey.lastIndexOf('.') + 1);
      const wrong = created.apiKey.slice(0, created.apiKey.length - secret.length) + changeCharAt(secret, 10);
      expect(wrong).not.toBe(created.apiKey);
      expect(codeOf(await t.gql(`{ externalDestinations { totalCount } }`, {}, wrong))).toBe('UNAUTHENTICATED');
      expect(codeOf(await t.gql(`{ externalDestinations { totalCount } }`, {}, created.apiKey))).toBe('FORBIDDEN');
    });

    it('never shows a key secret in the connectorApiKeys listing', async () => {
      const created = (await t.ok(CREATE_KEY, { n: 'Telephony C' }, company.adminToken)).createConnectorApiKey;
      const secret = created.apiKey.slice(created.apiKey.lastIndexOf('.') + 1);
      expect(secret.length).toBeGreaterThanOrEqual(32);
      const res = await t.gql(LIST_KEYS, {}, company.adminToken);
      expect(res.errors).toBeUndefined();
      expect(res.data.connectorApiKeys.nodes).toContainEqual({ id: created.key.id, name: 'Telephony C', createdAt: created.key.createdAt, revokedAt: null });
      const text = JSON.stringify(res.data);
      expect(text).not.toContain(secret);
      expect(text).not.toContain(created.apiKey);
      const one = await t.gql(`mutation($id: ID!) { revokeConnectorApiKey(id: $id) { id name createdAt revokedAt } }`, { id: created.key.id }, company.adminToken);
      expect(JSON.stringify(one)).not.toContain(secret);
    });

    it('exposes no field that could carry a key secret or hash', async () => {
      const res = await t.ok(`{ __type(name: "ConnectorApiKey") { fields { name } } }`);
      const names = res.__type.fields.map((f: { name: string }) => f.name);
      expect(names.filter((n: string) => /secret|hash|apiKey/i.test(n))).toEqual([]);
    });
  });

  describe('password hashes', () => {
    /**
     * One selection per field of a type, from introspection: a leaf by its name, an object field with every field
     * of its type in turn, down to `depth` levels of objects. Fields with required arguments are left out.
     */
    async function fieldSelections(typeName: string, depth: number): Promise<string[]> {
      const res = await t.ok(
        `query($n: String!) { __type(name: $n) { fields { name args { type { kind } } type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`,
        { n: typeName },
      );
      const selections: string[] = [];
      for (const field of res.__type.fields as any[]) {
        if (field.args.some((a: any) => a.type.kind === 'NON_NULL')) continue;
        let type = field.type;
        while (type.ofType) type = type.ofType;
        if (type.kind === 'SCALAR' || type.kind === 'ENUM') selections.push(field.name);
        else if (type.kind === 'OBJECT' && depth > 0) {
          selections.push(`${field.name} { __typename ${(await fieldSelections(type.name, depth - 1)).join(' ')} }`);
        }
      }
      return selections;
    }

    it('exposes no field of UserLogin that could carry a password, its hash or the token version', async () => {
      const res = await t.ok(`{ __type(name: "UserLogin") { fields { name } } }`);
      const names = res.__type.fields.map((f: { name: string }) => f.name);
      expect(names).toEqual(expect.arrayContaining(['id', 'username', 'kind', 'active']));
      expect(names.filter((n: string) => /password|hash|secret|tokenVersion/i.test(n))).toEqual([]);
    });

    it('never appear in any answer about user logins, even when every field is asked for', async () => {
      await createUser(t, company, { username: 'hash-check', kind: 'AGENT', privileges: { users: 'VIEW' }, profile: { scope: 'ALL' } });
      // Every field of UserLogin, each with its whole sub-selection (one query per field keeps each under the cost limit).
      const fields = await fieldSelections('UserLogin', 3);
      expect(fields).toEqual(expect.arrayContaining(['id', 'username', 'kind', 'active']));
      const answers: GraphQLResponse[] = [];
      for (const selection of fields) {
        answers.push(await t.gql(`{ userLogins { totalCount nodes { username ${selection} } } }`, {}, company.adminToken));
        answers.push(await t.gql(`{ me { ${selection} } }`, {}, company.adminToken));
        answers.push(await t.gql(`query($id: ID!) { userLogin(id: $id) { ${selection} } }`, { id: adminId }, company.adminToken));
      }
      const all = fields.join(' ');
      answers.push(
        await t.gql(`mutation($s: String!, $u: String!, $p: String!) { login(companySlug: $s, username: $u, password: $p) { user { ${fields.filter((f) => !f.includes('{')).join(' ')} } } }`,
          { s: company.slug, u: 'hash-check', p: USER_PASSWORD }),
        await t.gql(UPDATE_USER.replace('{ id kind active version }', `{ ${fields.filter((f) => !f.includes('{')).join(' ')} }`), { id: adminId, i: {} }, company.adminToken),
      );
      expect(all).toContain('username');
      for (const res of answers) {
        expect(res.errors).toBeUndefined();
        const text = JSON.stringify(res.data);
        expect(text).not.toMatch(/scrypt/i);
        expect(text).not.toMatch(/passwordHash|tokenVersion/);
        expect(text).not.toContain(ADMIN_PASSWORD);
        expect(text).not.toContain(USER_PASSWORD);
        // A scrypt hash here is `scrypt$N$r$p$<salt>$<key>`: no long base64 run should appear at all.
        expect(text).not.toMatch(/[A-Za-z0-9+/]{40,}={0,2}/);
      }
      const listed = answers.find((res) => JSON.stringify(res.data).includes('"username"') && res.data.userLogins)!;
      expect(listed.data.userLogins.nodes.map((u: { username: string }) => u.username)).toContain('hash-check');
    });
  });
});
