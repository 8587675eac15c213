import { resolve } from 'node:path';
import { ConfigError, loadConfig, tracingExporterOf, type Config } from '../../src/config';

const GOOD_SECRET = 'k3Jd9sLq0ZpXv7Rt2NwYb8MhCe5FgUa1';
const POSTGRES_URL = 'postgres://gateway:pw@db.internal:5432/gateway';

/** The ConfigError loadConfig throws for `env` (fails the test when it does not throw one). */
function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** A production environment that loadConfig accepts; tests change one thing at a time. */
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: GOOD_SECRET, DATABASE_URL: POSTGRES_URL };

describe('loadConfig', () => {
  describe('with an empty environment', () => {
    let config: Config;
    beforeAll(() => {
      config = loadConfig({});
    });

    it('runs in development on the embedded SQLite file data/gateway.sqlite', () => {
      expect(config.env).toBe('development');
      expect(config.production).toBe(false);
      expect(config.database).toEqual({ kind: 'sqlite', path: resolve('data/gateway.sqlite') });
    });

    it('listens on 127.0.0.1:4000', () => {
      expect(config.port).toBe(4000);
      expect(config.host).toBe('127.0.0.1');
    });

    it('turns introspection on and seeds the demo company', () => {
      expect(config.introspection).toBe(true);
      expect(config.seedDemo).toBe(true);
    });

    it('runs in-process, without a platform key or a configured JWT secret, logging at info', () => {
      expect(config.redisUrl).toBeNull();
      expect(config.platformApiKey).toBeNull();
      expect(config.jwtSecret).toBeNull();
      expect(config.logLevel).toBe('info');
    });

    it('applies the documented request limits', () => {
      expect(config.limits).toEqual({
        maxDepth: 10, maxAliases: 15, maxCost: 25_000, maxTokens: 2000, maxBodyBytes: 100_000,
        websocket: expect.any(Object),
      });
    });

    it('applies the documented WebSocket limits: 3 s to send connection_init, 20 subscriptions a socket, 20 sockets a principal, 1 MiB waiting, 64 KiB a message', () => {
      expect(config.limits.websocket).toEqual({
        initTimeoutMs: 3000,
        maxSubscriptionsPerSocket: 20,
        maxSocketsPerPrincipal: 20,
        maxBufferedBytes: 1_048_576,
        maxMessageBytes: 65_536,
      });
    });
  });

  it('treats blank variables as unset', () => {
    const config = loadConfig({ PORT: '', HOST: '   ', DATABASE_URL: '', NODE_ENV: ' ' });
    expect(config.port).toBe(4000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.env).toBe('development');
    expect(config.database).toEqual({ kind: 'sqlite', path: resolve('data/gateway.sqlite') });
  });

  describe('in production', () => {
    it('accepts a complete production environment, with introspection and the demo seed off and listening on all interfaces', () => {
      const config = loadConfig(PRODUCTION);
      expect(config.production).toBe(true);
      expect(config.introspection).toBe(false);
      expect(config.seedDemo).toBe(false);
      expect(config.host).toBe('0.0.0.0');
      expect(config.jwtSecret).toBe(GOOD_SECRET);
    });

    it('refuses to start without JWT_SECRET', () => {
      const problems = problemsOf({ ...PRODUCTION, JWT_SECRET: undefined });
      expect(problems).toEqual([expect.stringContaining('JWT_SECRET')]);
    });

    it('refuses a JWT_SECRET shorter than 32 characters', () => {
      const problems = problemsOf({ ...PRODUCTION, JWT_SECRET: 'short-secret' });
      expect(problems).toEqual([expect.stringContaining('JWT_SECRET')]);
      expect(problemsOf({ ...PRODUCTION, JWT_SECRET: 'x'.repeat(31) })).toEqual([expect.stringContaining('JWT_SECRET')]);
    });

    it.each(['change-me', 'secret', 'replace-with-at-least-32-random-characters', 'REPLACE-WITH-AT-LEAST-32-RANDOM-CHARACTERS'])(
      'refuses the placeholder JWT_SECRET "%s"',
      (placeholder) => {
        expect(problemsOf({ ...PRODUCTION, JWT_SECRET: placeholder })).toEqual([expect.stringContaining('JWT_SECRET')]);
      },
    );

    it('refuses SEED_DEMO=true', () => {
      expect(problemsOf({ ...PRODUCTION, SEED_DEMO: 'true' })).toEqual([expect.stringContaining('SEED_DEMO')]);
    });

    it('allows introspection when GRAPHQL_INTROSPECTION turns it on explicitly', () => {
      expect(loadConfig({ ...PRODUCTION, GRAPHQL_INTROSPECTION: 'true' }).introspection).toBe(true);
    });

    it('does not put the secret itself into the error message', () => {
      const weak = 'my-weak-secret';
      try {
        loadConfig({ ...PRODUCTION, JWT_SECRET: weak });
        throw new Error('accepted');
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).message).not.toContain(weak);
      }
    });
  });

  it('also refuses a short or placeholder JWT_SECRET outside production', () => {
    expect(problemsOf({ JWT_SECRET: 'changeme' })).toEqual([expect.stringContaining('JWT_SECRET')]);
    expect(loadConfig({ JWT_SECRET: GOOD_SECRET }).jwtSecret).toBe(GOOD_SECRET);
  });

  it('lists every problem in one ConfigError instead of stopping at the first', () => {
    let thrown: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://db/gateway', LOG_LEVEL: 'chatty', GRAPHQL_MAX_DEPTH: '0' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const { problems, message } = thrown as ConfigError;
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('PORT'),
        expect.stringContaining('DATABASE_URL'),
        expect.stringContaining('LOG_LEVEL'),
        expect.stringContaining('GRAPHQL_MAX_DEPTH'),
      ]),
    );
    for (const problem of problems) expect(message).toContain(problem);
  });

  it('reads the WebSocket limits from WS_* variables', () => {
    const config = loadConfig({
      WS_INIT_TIMEOUT_MS: '300', WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '5', WS_MAX_SOCKETS_PER_PRINCIPAL: '2',
      WS_MAX_BUFFERED_BYTES: '4096', WS_MAX_MESSAGE_BYTES: '16384',
    });
    expect(config.limits.websocket).toEqual({
      initTimeoutMs: 300, maxSubscriptionsPerSocket: 5, maxSocketsPerPrincipal: 2, maxBufferedBytes: 4096, maxMessageBytes: 16_384,
    });
  });

  it('lists every WebSocket limit out of range or not a whole number in one ConfigError', () => {
    const problems = problemsOf({
      WS_INIT_TIMEOUT_MS: '0', WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '0', WS_MAX_SOCKETS_PER_PRINCIPAL: 'many',
      WS_MAX_BUFFERED_BYTES: '512', WS_MAX_MESSAGE_BYTES: '1.5',
    });
    expect(problems).toEqual([
      expect.stringContaining('WS_INIT_TIMEOUT_MS'),
      expect.stringContaining('WS_MAX_SUBSCRIPTIONS_PER_SOCKET'),
      expect.stringContaining('WS_MAX_SOCKETS_PER_PRINCIPAL'),
      expect.stringContaining('WS_MAX_BUFFERED_BYTES'),
      expect.stringContaining('WS_MAX_MESSAGE_BYTES'),
    ]);
  });

  it('throttles sign-ins and bounds statistics by default as documented (decision 016), and reads both from the environment', () => {
    const defaults = loadConfig({});
    expect(defaults.authThrottle).toEqual({ freeFailures: 5, freeFailuresPerAddress: 100, blockSec: 1, maxBlockSec: 900, windowSec: 86_400 });
    expect(defaults.statistics).toEqual({ maxCsvRows: 50_000, maxRecords: 200_000, source: 'buckets' });
    const set = loadConfig({
      AUTH_THROTTLE_FREE_FAILURES: '3', AUTH_THROTTLE_FREE_FAILURES_PER_ADDRESS: '10', AUTH_THROTTLE_BLOCK_SEC: '2', AUTH_THROTTLE_MAX_BLOCK_SEC: '8',
      AUTH_THROTTLE_WINDOW_SEC: '600', STATISTICS_MAX_CSV_ROWS: '5000', STATISTICS_MAX_RECORDS: '9000',
    });
    expect(set.authThrottle).toEqual({ freeFailures: 3, freeFailuresPerAddress: 10, blockSec: 2, maxBlockSec: 8, windowSec: 600 });
    expect(set.statistics).toEqual({ maxCsvRows: 5000, maxRecords: 9000, source: 'buckets' });
    expect(Object.isFrozen(set.authThrottle) && Object.isFrozen(set.statistics)).toBe(true);
  });

  it('refuses throttling and statistics settings out of range, and a longest block shorter than the first, in one ConfigError', () => {
    expect(problemsOf({ AUTH_THROTTLE_FREE_FAILURES: '0', AUTH_THROTTLE_WINDOW_SEC: '5', STATISTICS_MAX_RECORDS: 'lots' })).toEqual([
      expect.stringContaining('AUTH_THROTTLE_FREE_FAILURES'),
      expect.stringContaining('AUTH_THROTTLE_WINDOW_SEC'),
      expect.stringContaining('STATISTICS_MAX_RECORDS'),
    ]);
    expect(problemsOf({ AUTH_THROTTLE_BLOCK_SEC: '60', AUTH_THROTTLE_MAX_BLOCK_SEC: '30' })).toEqual([expect.stringContaining('AUTH_THROTTLE_MAX_BLOCK_SEC must be at least')]);
    expect(problemsOf({ STATISTICS_SOURCE: 'guesses' })).toEqual(['STATISTICS_SOURCE must be buckets or records']);
    expect(loadConfig({ STATISTICS_SOURCE: 'records' }).statistics.source).toBe('records');
  });

  it('refuses an out-of-range or non-numeric PORT', () => {
    expect(problemsOf({ PORT: '70000' })).toEqual([expect.stringContaining('PORT')]);
    expect(problemsOf({ PORT: '-1' })).toEqual([expect.stringContaining('PORT')]);
    expect(problemsOf({ PORT: '80.5' })).toEqual([expect.stringContaining('PORT')]);
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
  });

  describe('DATABASE_URL', () => {
    it('parses a postgres:// URL', () => {
      expect(loadConfig({ DATABASE_URL: POSTGRES_URL }).database).toEqual({ kind: 'postgres', url: POSTGRES_URL });
    });

    it('parses a postgresql:// URL', () => {
      const url = 'postgresql://localhost/gateway';
      expect(loadConfig({ DATABASE_URL: url }).database).toEqual({ kind: 'postgres', url });
    });

    it('parses sqlite:<path> into an absolute path', () => {
      expect(loadConfig({ DATABASE_URL: 'sqlite:./var/db.sqlite' }).database).toEqual({ kind: 'sqlite', path: resolve('var/db.sqlite') });
      expect(loadConfig({ DATABASE_URL: 'sqlite:/tmp/gw/x.sqlite' }).database).toEqual({ kind: 'sqlite', path: '/tmp/gw/x.sqlite' });
    });

    it('keeps sqlite::memory: as an in-memory database', () => {
      expect(loadConfig({ DATABASE_URL: 'sqlite::memory:' }).database).toEqual({ kind: 'sqlite', path: ':memory:' });
    });

    it('refuses sqlite: without a path, and any other scheme', () => {
      expect(problemsOf({ DATABASE_URL: 'sqlite:' })).toEqual([expect.stringContaining('DATABASE_URL')]);
      expect(problemsOf({ DATABASE_URL: 'mysql://localhost/gateway' })).toEqual([expect.stringContaining('DATABASE_URL')]);
      expect(problemsOf({ DATABASE_URL: 'gateway.sqlite' })).toEqual([expect.stringContaining('DATABASE_URL')]);
    });

    it('refuses a postgres:// URL that is not a valid URL', () => {
      expect(problemsOf({ DATABASE_URL: 'postgres://user:pw@host:notaport/db' })).toEqual([expect.stringContaining('DATABASE_URL')]);
    });
  });

  describe('REDIS_URL', () => {
    it('is refused with the embedded SQLite file (the default database)', () => {
      expect(problemsOf({ REDIS_URL: 'redis://localhost:6379' })).toEqual([expect.stringContaining('REDIS_URL')]);
    });

    it('is refused with an explicit sqlite: database', () => {
      expect(problemsOf({ REDIS_URL: 'redis://localhost:6379', DATABASE_URL: 'sqlite:./x.sqlite' })).toEqual([
        expect.stringContaining('REDIS_URL'),
      ]);
    });

    it('is accepted with PostgreSQL', () => {
      const config = loadConfig({ REDIS_URL: 'rediss://cache:6380', DATABASE_URL: POSTGRES_URL });
      expect(config.redisUrl).toBe('rediss://cache:6380');
    });

    it('must use the redis:// or rediss:// scheme', () => {
      expect(problemsOf({ REDIS_URL: 'http://cache:6379', DATABASE_URL: POSTGRES_URL })).toEqual([expect.stringContaining('REDIS_URL')]);
    });
  });

  describe('REDIS_CLUSTER_NODES', () => {
    it('is unset by default', () => {
      expect(loadConfig({}).redisClusterNodes).toBeNull();
    });

    it('reads comma-separated host:port seed nodes, spaces and an IPv6 address in brackets included, with PostgreSQL', () => {
      const config = loadConfig({ REDIS_CLUSTER_NODES: 'redis-1:7000, 10.0.0.2:7001,[fd00::3]:7002', DATABASE_URL: POSTGRES_URL });
      expect(config.redisClusterNodes).toEqual([{ host: 'redis-1', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: 'fd00::3', port: 7002 }]);
      expect(config.redisUrl).toBeNull();
    });

    it('refuses a node without a port, with a port out of range, a URL and an empty entry, in one line naming the setting and the value', () => {
      for (const bad of ['redis-1', 'redis-1:0', 'redis-1:70000', 'redis://redis-1:7000', 'redis-1:7000,,redis-2:7000', 'redis-1:7000;redis-2:7000']) {
        const problems = problemsOf({ REDIS_CLUSTER_NODES: bad, DATABASE_URL: POSTGRES_URL });
        expect(problems).toEqual([expect.stringContaining('REDIS_CLUSTER_NODES must be a comma-separated list of host:port')]);
        expect(problems[0]).toContain(`"${bad}"`);
        expect(problems[0]).not.toContain('\n');
      }
    });

    it('is refused beside REDIS_URL (one way to reach Redis) and with the embedded SQLite file', () => {
      expect(problemsOf({ REDIS_CLUSTER_NODES: 'redis-1:7000', REDIS_URL: 'redis://cache:6379', DATABASE_URL: POSTGRES_URL })).toEqual([
        expect.stringContaining('REDIS_URL and REDIS_CLUSTER_NODES'),
      ]);
      expect(problemsOf({ REDIS_CLUSTER_NODES: 'redis-1:7000' })).toEqual([expect.stringContaining('REDIS_CLUSTER_NODES (cluster mode) needs DATABASE_URL')]);
    });
  });

  it('refuses a PLATFORM_API_KEY shorter than 32 characters', () => {
    expect(problemsOf({ PLATFORM_API_KEY: 'too-short' })).toEqual([expect.stringContaining('PLATFORM_API_KEY')]);
    expect(loadConfig({ PLATFORM_API_KEY: 'p'.repeat(32) }).platformApiKey).toBe('p'.repeat(32));
  });

  it('reads boolean switches in their usual spellings and refuses others', () => {
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'off' }).introspection).toBe(false);
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'FALSE' }).introspection).toBe(false);
    expect(loadConfig({ SEED_DEMO: '0' }).seedDemo).toBe(false);
    expect(problemsOf({ SEED_DEMO: 'maybe' })).toEqual([expect.stringContaining('SEED_DEMO')]);
  });

  it('refuses an unknown NODE_ENV', () => {
    expect(problemsOf({ NODE_ENV: 'staging' })).toEqual([expect.stringContaining('NODE_ENV')]);
  });

  describe('the result', () => {
    it('is frozen: assigning a setting throws', () => {
      const config = loadConfig({});
      expect(Object.isFrozen(config)).toBe(true);
      expect(() => {
        (config as { port: number }).port = 1;
      }).toThrow(TypeError);
      expect(config.port).toBe(4000);
    });

    it('is frozen all the way down: its limits and database settings cannot be changed either', () => {
      const config = loadConfig({ DATABASE_URL: 'sqlite:./x.sqlite' });
      expect(Object.isFrozen(config.limits)).toBe(true);
      expect(() => {
        (config.limits as { maxDepth: number }).maxDepth = 1000;
      }).toThrow(TypeError);
      expect(Object.isFrozen(config.limits.websocket)).toBe(true);
      expect(() => {
        (config.limits.websocket as { maxSocketsPerPrincipal: number }).maxSocketsPerPrincipal = 1000;
      }).toThrow(TypeError);
      expect(Object.isFrozen(config.database)).toBe(true);
      expect(() => {
        (config.database as { path: string }).path = '/tmp/elsewhere.sqlite';
      }).toThrow(TypeError);
    });

    it('is a fresh object per call, unaffected by later changes to the environment object', () => {
      const env: Record<string, string> = { PORT: '5000' };
      const config = loadConfig(env);
      env.PORT = '6000';
      expect(config.port).toBe(5000);
      expect(loadConfig(env).port).toBe(6000);
    });
  });
});

describe('metrics settings', () => {
  it('serve no metrics anywhere unless a port or a token is set', () => {
    expect(loadConfig({}).metrics).toEqual({ port: null, host: '127.0.0.1', token: null });
  });

  it('take a listener of their own on METRICS_PORT, on the loopback address unless METRICS_HOST says another', () => {
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics).toEqual({ port: 9464, host: '127.0.0.1', token: null });
    expect(loadConfig({ METRICS_PORT: '0', METRICS_HOST: '0.0.0.0' }).metrics).toMatchObject({ port: 0, host: '0.0.0.0' });
  });

  it('refuse a port out of range and a short or placeholder token, naming the variable', () => {
    expect(problemsOf({ METRICS_PORT: '70000' })).toEqual(['METRICS_PORT must be a whole number from 0 to 65535 (got "70000")']);
    expect(problemsOf({ METRICS_TOKEN: 'short' })).toEqual(['METRICS_TOKEN must be at least 16 random characters, not a placeholder']);
    expect(problemsOf({ METRICS_TOKEN: 'replace-with-at-least-32-random-characters' })[0]).toMatch(/^METRICS_TOKEN/);
    expect(loadConfig({ METRICS_TOKEN: 'a-token-of-enough-length' }).metrics.token).toBe('a-token-of-enough-length');
  });
});

describe('tracing settings (the standard OpenTelemetry variables)', () => {
  it('leave tracing off by default', () => {
    expect(loadConfig({}).tracing).toBeNull();
    expect(tracingExporterOf({})).toBeNull();
  });

  it('turn OTLP on when an OTLP endpoint is set, or the exporter named', () => {
    expect(tracingExporterOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('otlp');
    expect(tracingExporterOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe('otlp');
    expect(tracingExporterOf({ OTEL_TRACES_EXPORTER: 'console' })).toBe('console');
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'OTLP' }).tracing).toBe('otlp');
  });

  it('stay off when the SDK is disabled or the exporter is none, whatever endpoint is set', () => {
    expect(tracingExporterOf({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeNull();
    expect(tracingExporterOf({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeNull();
  });

  it('refuse an exporter the gateway does not have, in one line', () => {
    expect(problemsOf({ OTEL_TRACES_EXPORTER: 'zipkin' })).toEqual(['OTEL_TRACES_EXPORTER must be otlp, console or none (got "zipkin")']);
  });
});
