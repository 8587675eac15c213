import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Where records live: the embedded SQLite file (default) or a PostgreSQL server. */
export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string };

export interface Limits {
  /** Deepest selection nesting a GraphQL operation may have. */
  readonly maxDepth: number;
  /** Most aliases in one operation. */
  readonly maxAliases: number;
  /** Highest estimated cost of one operation (graphql-armor cost model). */
  readonly maxCost: number;
  /** Most lexical tokens in one document (parser limit). */
  readonly maxTokens: number;
  /** Largest HTTP request body accepted, in bytes. */
  readonly maxBodyBytes: number;
  /** The graphql-ws socket on `/graphql`. */
  readonly websocket: WebSocketLimits;
}

/** Limits of the graphql-ws sockets (the operations on them are held to the rest of Limits too). */
export interface WebSocketLimits {
  /** Milliseconds a new socket has to send `connection_init` before it is closed with 4408. */
  readonly initTimeoutMs: number;
  /** Most subscriptions running at once on one socket; the next subscribe gets an error, the socket stays. */
  readonly maxSubscriptionsPerSocket: number;
  /** Most open sockets of one principal (user, connector key, platform) on one instance; the next closes with 4429. */
  readonly maxSocketsPerPrincipal: number;
  /** Most bytes waiting to be sent on one socket; a consumer that falls further behind is closed with 1013. */
  readonly maxBufferedBytes: number;
  /** Largest incoming message, in bytes; a larger one closes the socket with 1009. */
  readonly maxMessageBytes: number;
}

/**
 * Throttling of failed sign-ins and connector keys (decision 016): a number of free failures, then blocks that
 * double with each further failure, up to a longest block. Failures are counted apart per company+username
 * (per key, for connector keys) and per client address.
 */
export interface AuthThrottleConfig {
  /** Consecutive failures of one company+username (or one connector key) before it is blocked. */
  readonly freeFailures: number;
  /** Failures from one client address (sign-ins and connector keys counted apart) before it is blocked. */
  readonly freeFailuresPerAddress: number;
  /** The first block, in seconds; each further failure doubles it. */
  readonly blockSec: number;
  /** The longest block, in seconds. */
  readonly maxBlockSec: number;
  /** How long failures are remembered, in seconds from the first failure counted. */
  readonly windowSec: number;
}

/** Bounds of one statistics request until the figures come from pre-aggregated buckets (decision 016). */
export interface StatisticsLimits {
  /** Most rows of one `statisticsCsv(perInterval: true)` (resources x 15-minute intervals). */
  readonly maxCsvRows: number;
  /** Most call, attempt and capacity-refusal records one statistics request reads. */
  readonly maxRecords: number;
  /** Where figures come from: the sealed 15-minute buckets (default), or every record of the range each time. */
  readonly source: 'buckets' | 'records';
}

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  readonly database: DatabaseConfig;
  readonly redisUrl: string | null;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES): cluster mode over Redis Cluster instead of one Redis at `redisUrl`. */
  readonly redisClusterNodes: ReadonlyArray<{ readonly host: string; readonly port: number }> | null;
  /** Prefix of every Redis key (separates deployments sharing one Redis). */
  readonly redisKeyPrefix: string;
  readonly platformApiKey: string | null;
  /** Secret that signs user tokens; in development it may come from `<data dir>/jwt-secret` (see resolveJwtSecret). */
  readonly jwtSecret: string | null;
  readonly jwtTtlSec: number;
  readonly logLevel: string;
  readonly seedDemo: boolean;
  /** Introspection and "did you mean" suggestions; on in development, off in production unless set. */
  readonly introspection: boolean;
  readonly limits: Limits;
  readonly authThrottle: AuthThrottleConfig;
  readonly statistics: StatisticsLimits;
  /** Days the audit log keeps its entries (AUDIT_RETENTION_DAYS; decision 031). */
  readonly auditRetentionDays: number;
  /** Where Prometheus scrapes /metrics: off the public port, behind a token, both, or (both null) nowhere. */
  readonly metrics: MetricsConfig;
  /** The span exporter the standard OpenTelemetry variables ask for; null: tracing is off (see tracingExporterOf). */
  readonly tracing: TracingExporter | null;
}

export interface MetricsConfig {
  /** A listener of its own for /metrics (METRICS_PORT; 0 takes a free port), on `host`; null: none. */
  readonly port: number | null;
  readonly host: string;
  /** /metrics on the public port, for `Authorization: Bearer <token>` only (METRICS_TOKEN); null: not there. */
  readonly token: string | null;
}

export type TracingExporter = 'otlp' | 'console';

/**
 * Which span exporter the standard OpenTelemetry variables ask for; null: tracing stays off (the default).
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off; OTEL_TRACES_EXPORTER=otlp or console turn
 * it on; left unset, an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) turns
 * OTLP on. Any other exporter is a problem of the configuration.
 */
export function tracingExporterOf(env: Record<string, string | undefined>): TracingExporter | null {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return null;
  const asked = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  if (asked === 'none') return null;
  if (asked === 'otlp' || asked === 'console') return asked;
  if (asked !== '') throw new ConfigError([`OTEL_TRACES_EXPORTER must be otlp, console or none (got "${env.OTEL_TRACES_EXPORTER ?? ''}")`]);
  const endpoint = (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').trim();
  return endpoint === '' ? null : 'otlp';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Days the audit log keeps its entries unless AUDIT_RETENTION_DAYS says otherwise. */
export const AUDIT_RETENTION_DAYS_DEFAULT = 365;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const PLACEHOLDER_SECRETS = new Set(['change-me', 'changeme', 'secret', 'replace-with-at-least-32-random-characters']);

/**
 * Reads the whole configuration from an environment once and validates it; throws one ConfigError that
 * lists every problem. The result is frozen.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  const nodeEnv = get('NODE_ENV') ?? 'development';
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    problems.push(`NODE_ENV must be development, production or test (got "${nodeEnv}")`);
  }
  const production = nodeEnv === 'production';

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = get(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(raw)) return true;
    if (['false', '0', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };

  const port = int('PORT', 4000, 0, 65535);
  const host = get('HOST') ?? (production ? '0.0.0.0' : '127.0.0.1');

  let database: DatabaseConfig = { kind: 'sqlite', path: resolve('data/gateway.sqlite') };
  const dbUrl = get('DATABASE_URL');
  if (dbUrl !== undefined) {
    if (/^postgres(ql)?:\/\//.test(dbUrl)) {
      try {
        new URL(dbUrl);
        database = { kind: 'postgres', url: dbUrl };
      } catch {
        problems.push('DATABASE_URL is not a valid postgres:// URL');
      }
    } else if (dbUrl.startsWith('sqlite:')) {
      const path = dbUrl.slice('sqlite:'.length);
      if (path === '') problems.push('DATABASE_URL sqlite:<path> needs a file path');
      else database = { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
    } else {
      problems.push('DATABASE_URL must start with postgres:// or sqlite:');
    }
  }

  const redisUrl = get('REDIS_URL') ?? null;
  if (redisUrl !== null && !/^rediss?:\/\//.test(redisUrl)) problems.push('REDIS_URL must start with redis:// or rediss://');
  if (redisUrl !== null && database.kind === 'sqlite') {
    problems.push('REDIS_URL (cluster mode) needs DATABASE_URL=postgres://...: several instances cannot share one SQLite file');
  }

  // host:port,host:port (an IPv6 address in brackets): seed nodes of a Redis Cluster (decision 030).
  const clusterNodesRaw = get('REDIS_CLUSTER_NODES');
  let redisClusterNodes: Config['redisClusterNodes'] = null;
  if (clusterNodesRaw !== undefined) {
    const nodes = clusterNodesRaw.split(',').map((n) => /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(n.trim()));
    if (nodes.some((m) => m === null || Number(m[3]) < 1 || Number(m[3]) > 65535)) {
      problems.push(`REDIS_CLUSTER_NODES must be a comma-separated list of host:port, e.g. redis-1:6379,redis-2:6379 (got "${clusterNodesRaw}")`);
    } else {
      redisClusterNodes = Object.freeze(nodes.map((m) => Object.freeze({ host: m![1] ?? m![2]!, port: Number(m![3]) })));
    }
    if (redisUrl !== null) problems.push('REDIS_URL and REDIS_CLUSTER_NODES both set: set REDIS_URL for one Redis or REDIS_CLUSTER_NODES for a Redis Cluster');
    else if (database.kind === 'sqlite') problems.push('REDIS_CLUSTER_NODES (cluster mode) needs DATABASE_URL=postgres://...: several instances cannot share one SQLite file');
  }

  const redisKeyPrefix = get('REDIS_KEY_PREFIX') ?? 'rgw';
  if (!/^[A-Za-z0-9:_-]{1,64}$/.test(redisKeyPrefix)) problems.push('REDIS_KEY_PREFIX must be 1-64 letters, digits, : _ or -');

  const platformApiKey = get('PLATFORM_API_KEY') ?? null;
  if (platformApiKey !== null && platformApiKey.length < 32) {
    problems.push('PLATFORM_API_KEY must be at least 32 characters');
  }

  const jwtSecret = get('JWT_SECRET') ?? null;
  if (jwtSecret !== null && (jwtSecret.length < 32 || PLACEHOLDER_SECRETS.has(jwtSecret.toLowerCase()))) {
    problems.push('JWT_SECRET must be at least 32 random characters, not a placeholder');
  } else if (jwtSecret === null && production) {
    problems.push('JWT_SECRET is required in production (at least 32 random characters)');
  }

  const statisticsSource = get('STATISTICS_SOURCE') ?? 'buckets';
  if (statisticsSource !== 'buckets' && statisticsSource !== 'records') problems.push('STATISTICS_SOURCE must be buckets or records');
  const logLevel = get('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  const seedDemo = bool('SEED_DEMO', !production);
  if (production && seedDemo) problems.push('SEED_DEMO cannot be true in production');

  const authThrottle: AuthThrottleConfig = Object.freeze({
    freeFailures: int('AUTH_THROTTLE_FREE_FAILURES', 5, 1, 1000),
    freeFailuresPerAddress: int('AUTH_THROTTLE_FREE_FAILURES_PER_ADDRESS', 100, 1, 1_000_000),
    blockSec: int('AUTH_THROTTLE_BLOCK_SEC', 1, 1, 3600),
    maxBlockSec: int('AUTH_THROTTLE_MAX_BLOCK_SEC', 900, 1, 86_400),
    windowSec: int('AUTH_THROTTLE_WINDOW_SEC', 86_400, 60, 30 * 86_400),
  });
  if (authThrottle.maxBlockSec < authThrottle.blockSec) problems.push('AUTH_THROTTLE_MAX_BLOCK_SEC must be at least AUTH_THROTTLE_BLOCK_SEC');

  const metricsToken = get('METRICS_TOKEN') ?? null;
  if (metricsToken !== null && (metricsToken.length < 16 || PLACEHOLDER_SECRETS.has(metricsToken.toLowerCase()))) {
    problems.push('METRICS_TOKEN must be at least 16 random characters, not a placeholder');
  }
  const metrics: MetricsConfig = Object.freeze({
    port: get('METRICS_PORT') === undefined ? null : int('METRICS_PORT', 0, 0, 65535),
    host: get('METRICS_HOST') ?? '127.0.0.1',
    token: metricsToken,
  });
  let tracing: TracingExporter | null = null;
  try {
    tracing = tracingExporterOf(env);
  } catch (error) {
    problems.push(...(error instanceof ConfigError ? error.problems : [String(error)]));
  }

  const config: Config = {
    env: nodeEnv as Config['env'],
    production,
    port,
    host,
    database: Object.freeze(database),
    redisUrl,
    redisClusterNodes,
    redisKeyPrefix,
    platformApiKey,
    jwtSecret,
    jwtTtlSec: int('JWT_TTL_SEC', 8 * 3600, 60, 7 * 24 * 3600),
    logLevel,
    seedDemo,
    introspection: bool('GRAPHQL_INTROSPECTION', !production),
    limits: Object.freeze({
      maxDepth: int('GRAPHQL_MAX_DEPTH', 10, 2, 50),
      maxAliases: int('GRAPHQL_MAX_ALIASES', 15, 1, 500),
      maxCost: int('GRAPHQL_MAX_COST', 25_000, 100, 1_000_000),
      maxTokens: int('GRAPHQL_MAX_TOKENS', 2000, 100, 100_000),
      maxBodyBytes: int('HTTP_MAX_BODY_BYTES', 100_000, 1_000, 10_000_000),
      websocket: Object.freeze({
        initTimeoutMs: int('WS_INIT_TIMEOUT_MS', 3000, 100, 60_000),
        maxSubscriptionsPerSocket: int('WS_MAX_SUBSCRIPTIONS_PER_SOCKET', 20, 1, 1000),
        maxSocketsPerPrincipal: int('WS_MAX_SOCKETS_PER_PRINCIPAL', 20, 1, 10_000),
        maxBufferedBytes: int('WS_MAX_BUFFERED_BYTES', 1_048_576, 1024, 104_857_600),
        maxMessageBytes: int('WS_MAX_MESSAGE_BYTES', 65_536, 1024, 10_485_760),
      }),
    }),
    authThrottle,
    statistics: Object.freeze({
      maxCsvRows: int('STATISTICS_MAX_CSV_ROWS', 50_000, 100, 10_000_000),
      maxRecords: int('STATISTICS_MAX_RECORDS', 200_000, 1000, 100_000_000),
      source: statisticsSource as 'buckets' | 'records',
    }),
    auditRetentionDays: int('AUDIT_RETENTION_DAYS', AUDIT_RETENTION_DAYS_DEFAULT, 1, 36_500),
    metrics,
    tracing,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/**
 * The secret that signs user tokens: the configured one, or in development one generated once and kept
 * beside the embedded database (so tokens survive restarts of the same data directory).
 */
export function resolveJwtSecret(config: Config): string {
  if (config.jwtSecret !== null) return config.jwtSecret;
  if (config.production) throw new ConfigError(['JWT_SECRET is required in production']);
  if (config.database.kind === 'sqlite' && config.database.path === ':memory:') return randomBytes(32).toString('base64url');
  const dir = config.database.kind === 'sqlite' ? dirname(config.database.path) : resolve('data');
  const file = resolve(dir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
