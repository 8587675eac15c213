import { PLATFORM_KEY, type TestGateway } from './test-gateway';

export type Level = 'NONE' | 'VIEW' | 'MODIFY';
export type Kind = 'COMPANY_ADMIN' | 'SUPERVISOR' | 'AGENT';

export interface Company {
  id: string;
  slug: string;
  adminToken: string;
}

export const ADMIN_PASSWORD = 'admin-password-123';
export const USER_PASSWORD = 'user-password-123';

/** Provisions a company through the platform operator key and signs its administrator in. */
export async function provisionCompany(t: TestGateway, slug: string, timeZone = 'Europe/London'): Promise<Company> {
  const created = await t.ok<{ createCompany: { id: string } }>(
    `mutation($input: CreateCompanyInput!) { createCompany(input: $input) { id } }`,
    { input: { name: `Company ${slug}`, slug, timeZone, adminUsername: 'admin', adminPassword: ADMIN_PASSWORD } },
    PLATFORM_KEY,
  );
  return { id: created.createCompany.id, slug, adminToken: await login(t, slug, 'admin', ADMIN_PASSWORD) };
}

export async function login(t: TestGateway, slug: string, username: string, password: string): Promise<string> {
  const data = await t.ok<{ login: { token: string } }>(
    `mutation($s: String!, $u: String!, $p: String!) { login(companySlug: $s, username: $u, password: $p) { token } }`,
    { s: slug, u: username, p: password },
  );
  return data.login.token;
}

export interface UserSpec {
  username: string;
  kind: Kind;
  /** Levels of the user's own role; areas left out are NONE. No role at all when omitted. */
  privileges?: Partial<Record<string, Level>>;
  /** The user's own profile: ALL, SELECTED with these destination ids, or none. */
  profile?: { scope: 'ALL' } | { scope: 'SELECTED'; destinationIds: string[] } | null;
}

/** Creates a role and profile of its own for a user, the user itself, and signs it in. */
export async function createUser(t: TestGateway, company: Company, spec: UserSpec): Promise<{ id: string; token: string; profileId: string | null }> {
  const roleIds: string[] = [];
  if (spec.privileges) {
    const role = await t.ok(`mutation($i: RoleInput!) { createRole(input: $i) { id } }`, { i: { name: `${spec.username} role`, privileges: spec.privileges } }, company.adminToken);
    roleIds.push(role.createRole.id);
  }
  let profileId: string | null = null;
  if (spec.profile) {
    const p = await t.ok(
      `mutation($i: ExternalDestinationsProfileInput!) { createExternalDestinationsProfile(input: $i) { id } }`,
      { i: { name: `${spec.username} profile`, scope: spec.profile.scope, destinationIds: spec.profile.scope === 'SELECTED' ? spec.profile.destinationIds : [] } },
      company.adminToken,
    );
    profileId = p.createExternalDestinationsProfile.id;
  }
  const user = await t.ok(
    `mutation($i: CreateUserLoginInput!) { createUserLogin(input: $i) { id } }`,
    { i: { username: spec.username, password: USER_PASSWORD, kind: spec.kind, roleIds, externalDestinationsProfileId: profileId } },
    company.adminToken,
  );
  return { id: user.createUserLogin.id, token: await login(t, company.slug, spec.username, USER_PASSWORD), profileId };
}

let counter = 0;
/** A valid FULL_NUMBER destination input with a unique name. */
export function destinationInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return { name: `Destination ${counter}`, numberMode: 'FULL_NUMBER', number: '+442079460958', maxSimultaneousCalls: 5, ...overrides };
}

export async function createDestination(t: TestGateway, token: string, overrides: Record<string, unknown> = {}): Promise<{ id: string; name: string; version: number }> {
  const data = await t.ok(
    `mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id name version } }`,
    { i: destinationInput(overrides) },
    token,
  );
  return data.createExternalDestination;
}

/** The code of the first error of a response (or undefined when it succeeded). */
export function codeOf(res: { errors?: Array<{ extensions?: Record<string, any> }> }): string | undefined {
  return res.errors?.[0]?.extensions?.code;
}
