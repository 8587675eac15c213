import { loadConfig } from '../../src/config';
import { createGateway, type Gateway, type GatewayOverrides } from '../../src/gateway';
import { scratchDatabase, type Dialect } from './dialects';

export const PLATFORM_KEY = 'test-platform-operator-key-0123456789abcdef';
export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }>;
  headers: Headers;
}

export interface TestGateway {
  gateway: Gateway;
  url: string;
  /** The database URL (postgres://… or sqlite:…) this gateway uses. */
  databaseUrl: string;
  /** POSTs one GraphQL operation, optionally as `token`. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  /** Like gql, but fails the test when the answer has errors; returns data. */
  ok<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<T>;
  close(): Promise<void>;
}

/** Starts a real gateway on a free port over a fresh database of `dialect`. */
export async function startTestGateway(dialect: Dialect, env: Record<string, string> = {}, overrides: GatewayOverrides = {}): Promise<TestGateway> {
  const db = await scratchDatabase(dialect);
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    PLATFORM_API_KEY: PLATFORM_KEY,
    JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SEED_DEMO: 'false',
    ...env,
  });
  const gateway = await createGateway(config, overrides);
  return clientFor(gateway, db.url, async () => {
    await gateway.close();
    await db.dispose();
  });
}

/** GraphQL over HTTP to `url`: `gql` answers what came back, `ok` its data or a failed test. */
export function graphqlOver(url: string, timeoutMs?: number): Pick<TestGateway, 'gql' | 'ok'> {
  const gql = async <T>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
      signal: timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json()) as { data?: T; errors?: GraphQLResponse['errors'] };
    return { status: res.status, data: body.data ?? undefined, errors: body.errors, headers: res.headers };
  };
  return {
    gql,
    ok: async <T>(query: string, variables?: Record<string, unknown>, token?: string) => {
      const res = await gql<T>(query, variables, token);
      if (res.errors) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
      return res.data as T;
    },
  };
}

/** A test client of a running gateway: GraphQL over HTTP, and how to stop it. */
export function clientFor(gateway: Gateway, databaseUrl: string, close: () => Promise<void>): TestGateway {
  return { gateway, url: gateway.url, databaseUrl, ...graphqlOver(gateway.url), close };
}
