// First: an unsupported Node.js ends the start with one line, before anything else is loaded.
import './check-node';
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './config';
import { createGateway } from './gateway';
import { createLogger } from './logger';
import { startTracing } from './observability/tracing';

/** The version spans carry: package.json's, beside the compiled files' directory. */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** How long a stop (SIGTERM, SIGINT) may take: requests drain, sockets close with 1001, connections and leases are released. */
const STOP_BOUND_MS = 10_000;
/** How long a stop waits for buffered spans to reach the collector. */
const TRACE_FLUSH_MS = 2_000;

/** Bootstrap only: configuration, gateway, signals. */
async function main(): Promise<void> {
  // Variables already in the environment win over the optional .env file.
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  // Before anything runs: spans of the whole process go to the configured exporter (off by default).
  const tracing = config.tracing === null ? null : startTracing(config.tracing, packageVersion());
  const gateway = await createGateway(config, { logger });
  logger.info({ url: gateway.url, database: config.database.kind, metrics: gateway.metricsUrl ?? (config.metrics.token !== null ? 'on the public port, behind METRICS_TOKEN' : 'off'), tracing: config.tracing ?? 'off' }, 'gateway listening');
  if (gateway.demo) {
    const { connectorApiKey } = gateway.demo;
    const lines = [
      '',
      `Routing gateway ready: ${gateway.url}`,
      `Supervisor dashboard: ${gateway.dashboardUrl}`,
      `Demo company "${gateway.demo.companySlug}" (logins as seeded):`,
      ...gateway.demo.users.map((u) => `  ${u.kind.padEnd(13)} ${u.username} / ${u.password}  (${u.note})`),
      connectorApiKey
        ? `  connector API key (shown this once): ${connectorApiKey}`
        : '  connector API key: printed on the first start only; an administrator can create another (createConnectorApiKey)',
      `Sign in: mutation { login(companySlug: "${gateway.demo.companySlug}", username: "admin", password: "...") { token } }`,
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // The bound of a stop: what has not closed by then is cut off.
    setTimeout(() => {
      logger.error({ boundMs: STOP_BOUND_MS }, 'shutdown did not finish within its bound; exiting');
      process.exit(1);
    }, STOP_BOUND_MS).unref();
    // Spans still buffered are flushed for at most TRACE_FLUSH_MS (a collector away must not hold the stop).
    const flushTraces = () => tracing && Promise.race([tracing.shutdown(), new Promise<void>((resolve) => setTimeout(resolve, TRACE_FLUSH_MS).unref())]);
    gateway.close().then(flushTraces).then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
  const why = e.code === 'EADDRINUSE' && e.syscall === 'listen'
    ? `port ${e.port} on ${e.address} is already in use (stop what uses it, or set PORT to another)`
    : error instanceof Error ? error.message : String(error);
  process.stderr.write(`Gateway failed to start: ${why}\n`);
  process.exit(1);
});
