/**
 * Talking to a running gateway from a bench: GraphQL over HTTP, a company provisioned through the public API
 * (with a connector key and regular agents), and percentiles of measured times.
 */

export const BENCH_PLATFORM_KEY = 'bench-platform-key-0123456789abcdef';
export const BENCH_JWT_SECRET = 'bench-jwt-secret-0123456789abcdef0123456789';
const ADMIN_PASSWORD = 'bench-admin-password';

/** POSTs one operation as `token`; returns its data, or throws with its errors. */
export async function gql(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors).slice(0, 2000));
  return body.data;
}

/** The value at percentile `p` (0-100) of ascending `sorted`. */
export const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export interface BenchCompany {
  companyId: string;
  slug: string;
  /** The company administrator's token. */
  admin: string;
  /** A connector API key of the company. */
  connectorKey: string;
}

/** Creates a company with the platform key, signs its administrator in and creates a connector key. */
export async function provisionBenchCompany(url: string, slug: string): Promise<BenchCompany> {
  const companyId = (
    await gql(url, 'mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }', {
      i: { name: `Bench ${slug}`, slug, timeZone: 'UTC', adminUsername: 'admin', adminPassword: ADMIN_PASSWORD },
    }, BENCH_PLATFORM_KEY)
  ).createCompany.id as string;
  const admin = (
    await gql(url, 'mutation($s: String!, $u: String!, $p: String!) { login(companySlug: $s, username: $u, password: $p) { token } }', {
      s: slug, u: 'admin', p: ADMIN_PASSWORD,
    })
  ).login.token as string;
  const connectorKey = (await gql(url, 'mutation { createConnectorApiKey(name: "bench") { apiKey } }', {}, admin)).createConnectorApiKey.apiKey as string;
  return { companyId, slug, admin, connectorKey };
}

/**
 * Creates `count` regular agents through the API, `inFlight` requests at a time, each set to `status` when
 * given; their ids in creation order (names are numbered in the same order).
 */
export async function createBenchAgents(url: string, admin: string, count: number, status: 'AVAILABLE' | null, inFlight = 8): Promise<string[]> {
  const ids = new Array<string>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      while (next < count) {
        const i = next++;
        const id = (await gql(url, 'mutation($i: AgentInput!) { createAgent(input: $i) { id } }', { i: { name: `Agent ${String(i).padStart(5, '0')}` } }, admin)).createAgent.id as string;
        if (status !== null) await gql(url, 'mutation($a: ID!, $s: AgentStatus!) { setAgentStatus(agentId: $a, status: $s) { id } }', { a: id, s: status }, admin);
        ids[i] = id;
      }
    }),
  );
  return ids;
}
