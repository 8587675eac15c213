import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import express, { type ErrorRequestHandler } from 'express';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { resolveJwtSecret, type Config } from './config';
import { dashboardRouter, dashboardUrlOf } from './dashboard';
import { companyOfPrincipal, expiryOfPrincipal, principalKey, samePrincipal, type Principal } from './auth/principal';
import { RequestAdmission, SUBSCRIPTIONS_ONLY } from './http/admission';
import { compiledExecution } from './http/compiled-execution';
import { domainErrorStatus, formatClientError } from './http/error-mapping';
import { graphqlEndpoint, httpErrorAnswer, isGraphqlPath } from './http/graphql-endpoint';
import { METRICS_PATH, metricsHandler, metricsServer } from './http/metrics-endpoint';
import { operationMetrics } from './http/operation-metrics';
import { GatewayMetrics } from './observability/metrics';
import { scrapeSources } from './observability/scrape-sources';
import { STATISTICS_EXPORT_PATH, statisticsExportHandler } from './http/statistics-export';
import { loggableError, retryAfterSecOf } from './errors';
import { createLogger } from './logger';
import type { GatewayContext } from './resolvers/context';
import { buildGatewaySchema } from './schema';
import { seedDemo, type DemoCredentials } from './seed/demo-seed';
import { createServices, type Services } from './services';
import type { InstructionOptions } from './services/instruction-delivery';
import { createLoaders } from './services/loaders';
import { statisticsSizes } from './services/statistics.service';
import { openDataSource } from './store/data-source';
import { openLiveState, type LiveState } from './store/live-state';
import { lockSqliteFile } from './store/sqlite-lock';
import { openEventBus, type EventBus } from './realtime/event-bus';
import { SubscriptionRunner } from './realtime/shared-execution';
import { attachSubscriptions, resultFormatter, type SocketAuthentication } from './realtime/ws-server';
import type { CallRouterOptions } from './engine/types';
import { systemScheduler, type Scheduler } from './platform/scheduler';

export interface Gateway {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql */
  readonly url: string;
  /** The supervisor dashboard, e.g. http://127.0.0.1:4000/dashboard/ */
  readonly dashboardUrl: string;
  /** Prometheus metrics on their own listener (METRICS_PORT), e.g. http://127.0.0.1:9464/metrics; null when none. */
  readonly metricsUrl: string | null;
  readonly port: number;
  readonly dataSource: DataSource;
  readonly services: Services;
  /** The live routing state (in-process or Redis). */
  readonly live: LiveState;
  /** What the demo seed created on this start (null when it did not run). */
  readonly demo: DemoCredentials | null;
  /** Stops accepting, drains requests in flight, closes the database. Safe to call twice. */
  close(): Promise<void>;
}

export interface GatewayOverrides {
  logger?: Logger;
  /** Timing of the router's loops and its clock (tests). */
  routing?: Omit<CallRouterOptions, 'logger'>;
  /** Time for authority version checks and connector session renewals (tests move it). */
  scheduler?: Scheduler;
  /** Redelivery and pruning of telephony instructions (tests shorten them; decision 023). */
  instructions?: Partial<InstructionOptions>;
  /** Wraps the event bus (fault tests: an instance that misses committed changes). */
  bus?: (bus: EventBus) => EventBus;
}

/** Starts the whole gateway (HTTP GraphQL on one server) from a loaded configuration. */
export async function createGateway(config: Config, overrides: GatewayOverrides = {}): Promise<Gateway> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const { database } = config;
  const release = database.kind === 'sqlite' && database.path !== ':memory:' ? lockSqliteFile(database.path) : () => undefined;
  let dataSource: DataSource | null = null;
  let live: LiveState | null = null;
  let bus: EventBus | null = null;
  try {
    dataSource = await openDataSource(database);
    const scheduler = overrides.scheduler ?? systemScheduler;
    live = await openLiveState(config.redisClusterNodes ?? config.redisUrl, config.redisKeyPrefix, (err) => logger.warn({ err: loggableError(err) }, 'live state: Redis connection error'), {
      scheduler: () => scheduler.now(),
      after: (ms, task) => scheduler.after(ms, task),
    });
    bus = await openEventBus(config.redisClusterNodes ?? config.redisUrl, config.redisKeyPrefix, (err) => logger.warn({ err: loggableError(err) }, 'event bus: Redis command failed'));
    if (overrides.bus) bus = overrides.bus(bus);
    const gateway = await start(config, logger, dataSource, live, bus, overrides);
    return {
      ...gateway,
      close: async () => {
        await gateway.close();
        release();
      },
    };
  } catch (error) {
    await bus?.close();
    await live?.close();
    await dataSource?.destroy();
    release();
    throw error;
  }
}

async function start(config: Config, logger: Logger, dataSource: DataSource, live: LiveState, bus: EventBus, overrides: GatewayOverrides): Promise<Gateway> {
  const jwtSecret = resolveJwtSecret(config);
  // One registry per gateway: the engine and the delivery count into it, /metrics reads it (decision 033).
  const metrics = new GatewayMetrics();
  bus.onReconnect(() => metrics.redisReconnect('event-bus'));
  const services = createServices(dataSource, live, bus, {
    meter: metrics,
    jwtSecret, jwtTtlSec: config.jwtTtlSec, platformApiKey: config.platformApiKey, logger, routing: overrides.routing, scheduler: overrides.scheduler,
    instructions: overrides.instructions,
    authThrottle: config.authThrottle, statistics: config.statistics, auditRetentionDays: config.auditRetentionDays,
  });
  // Before anything routes: the live state's generation is checked (and the live state rebuilt) first.
  services.liveRebuild.start();
  const demo = config.seedDemo ? await seedDemo(dataSource, services) : null;
  const schema = await buildGatewaySchema(bus.pubSub as never);

  const app = express();
  app.disable('x-powered-by');
  // GraphQL answers are not revalidated by ETag (each POST is answered anew); hashing every body costs CPU.
  app.set('etag', false);
  app.set('trust proxy', false);
  // GraphQL over HTTP takes its own lean path; everything else (health, the dashboard) goes through Express.
  let graphqlHttp: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const httpServer: Server = createServer((req, res) => {
    if (graphqlHttp !== null && isGraphqlPath(req.url)) graphqlHttp(req, res);
    else app(req, res);
  });
  /** The context of an HTTP request (`principal` fixed for it) or of a subscription (`principal` read from its socket, current). */
  const contextFor = (principal: GatewayContext['principal'] | (() => GatewayContext['principal']), requestId: string, clientAddress: string | null): GatewayContext => {
    const initial = typeof principal === 'function' ? principal() : principal;
    const companyId = initial !== null && initial.kind !== 'platform' ? initial.companyId : null;
    // Loaders are built on first use: a long-lived subscription that never reads through them holds none.
    let loaders: GatewayContext['loaders'] | null = null;
    let fixed = initial;
    return {
      get principal() {
        return typeof principal === 'function' ? principal() : fixed;
      },
      set principal(value) {
        fixed = value;
      },
      services, requestId, clientAddress,
      get loaders() {
        return (loaders ??= createLoaders(live, companyId, services.destinations, services.statistics));
      },
    };
  };
  // THE request admission (decision 019): Apollo Server runs it over HTTP, the socket layer over WebSocket.
  const admission = new RequestAdmission(schema, { limits: config.limits, hideSuggestions: !config.introspection });
  const formatSocketError = (error: GraphQLError) =>
    formatClientError(error.toJSON(), error, (internal) => logger.error({ err: loggableError(internal) }, 'internal error in a subscription'));
  const runner = new SubscriptionRunner(schema, resultFormatter(formatSocketError));
  const subscriptions = attachSubscriptions<Principal, GatewayContext>(httpServer, {
    schema,
    limits: config.limits.websocket,
    logger,
    authenticate: async (authorization, address): Promise<SocketAuthentication<Principal>> => {
      try {
        const principal = await services.authenticator.authenticate(authorization, address);
        return principal === null ? { refused: 'forbidden' } : { accepted: principal };
      } catch (error) {
        // A refused connector key while its id or the address is blocked: closed with 4429, saying when to retry.
        const retryAfterSec = retryAfterSecOf(error);
        return retryAfterSec === undefined ? { refused: 'forbidden' } : { refused: 'throttled', retryAfterSec };
      }
    },
    reauthenticate: (authorization) => services.authenticator.current(authorization),
    identify: (principal) => ({ key: principalKey(principal), group: companyOfPrincipal(principal), expiresAtMs: expiryOfPrincipal(principal) }),
    samePrincipal,
    onAuthorityChanged: (listener) => services.models.onChanged(listener),
    context: (principal, address) => contextFor(principal, randomUUID(), address),
    admit: (request) => admission.admit(request, SUBSCRIPTIONS_ONLY),
    subscribe: (args, target) => runner.subscribe(args, target),
    formatError: formatSocketError,
  });
  metrics.observe(scrapeSources(dataSource, live, () => services.clock.now(), () => subscriptions.counts()));

  const apollo = new ApolloServer<GatewayContext>({
    // The schema and an executor that runs each operation compiled once per document.
    gateway: compiledExecution(schema),
    introspection: config.introspection,
    hideSchemaDetailsFromClientErrors: !config.introspection,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // Nothing uses automatic persisted queries: any persistedQuery extension is PERSISTED_QUERY_NOT_SUPPORTED (decision 016).
    persistedQueries: false,
    // The gateway's own shutdown stops Apollo (main.ts handles the signals): Apollo's handlers, installed outside
    // NODE_ENV=test, stopped it first and left the gateway's close waiting, so on PostgreSQL a SIGTERM never ended.
    stopOnTerminationSignals: false,
    // The request admission's parse limits and validation rules (depth, aliases, one mutation per request).
    validationRules: [...admission.validationRules],
    parseOptions: admission.parseOptions,
    formatError: (formatted, error) =>
      formatClientError(formatted, error, (internal) => logger.error({ err: loggableError(internal) }, 'internal error in a GraphQL operation')),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No field carries cache hints and no response is cached by hints: the per-field bookkeeping is skipped.
      ApolloServerPluginCacheControlDisabled(),
      // The rest of the admission once the operation is resolved: NUL characters, input bounds and the cost,
      // statistics counted with what the caller may see (decision 016).
      admission.plugin<GatewayContext>((context) => statisticsSizes(context.principal, services.models, config.statistics)),
      // The HTTP status (and Retry-After) of answers carrying domain errors (decision 019).
      domainErrorStatus<GatewayContext>(),
      // Rate, latency and errors per operation, and the request's span named after it (decision 033).
      operationMetrics<GatewayContext>(metrics),
      ...(config.production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
  });
  await apollo.start();
  graphqlHttp = graphqlEndpoint(apollo, {
    maxBodyBytes: config.limits.maxBodyBytes,
    logger,
    context: async (req, requestId) => {
      const address = req.socket.remoteAddress ?? null;
      return contextFor(await services.authenticator.authenticate(req.headers.authorization, address), requestId, address);
    },
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Ready: the database answers and, in cluster mode, every Redis connection (live state and events) is up.
  app.get('/readyz', async (_req, res) => {
    try {
      await dataSource.query('SELECT 1');
    } catch {
      res.status(503).json({ status: 'database unreachable' });
      return;
    }
    if (!live.connected() || !bus.connected()) {
      res.status(503).json({ status: 'redis unreachable' });
      return;
    }
    res.json({ status: 'ready' });
  });

  // The statistics CSV as a download that streams (decision 027), authenticated like GraphQL.
  app.get(STATISTICS_EXPORT_PATH, statisticsExportHandler({
    authenticate: (authorization, address) => services.authenticator.authenticate(authorization, address),
    range: (from, to) => services.statistics.range(from, to),
    exports: services.statisticsExport,
    logger,
  }));

  // Prometheus metrics on the public port, for their bearer token only (METRICS_TOKEN; decision 033).
  if (config.metrics.token !== null) app.get(METRICS_PATH, metricsHandler(metrics, config.metrics.token, logger));

  // The supervisor dashboard: static files that use the public API above.
  app.use(dashboardRouter());

  // Errors outside GraphQL: a coded JSON answer, never a stack trace.
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const answer = httpErrorAnswer(err);
    if (answer.status === 500) logger.error({ err: loggableError(err) }, 'request failed');
    res.status(answer.status).json(answer.body);
  };
  app.use(onError);
  app.use((_req, res) => {
    res.status(404).json({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
  });

  // Prometheus metrics on a listener of their own, off the public port (METRICS_PORT).
  const metricsListener = config.metrics.port === null ? null : metricsServer(metrics, logger);
  const listen = (server: Server, listenPort: number, listenHost: string) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, listenHost, () => resolve());
  });
  if (metricsListener !== null) await listen(metricsListener, config.metrics.port!, config.metrics.host);
  try {
    await listen(httpServer, config.port, config.host);
  } catch (error) {
    metricsListener?.close();
    throw error;
  }
  const { port } = httpServer.address() as AddressInfo;
  services.router.start();
  services.directory.start();
  services.models.start();
  services.instructions.start();
  services.alerts.start();
  services.statistics.sealer.start();
  services.auditLog.start();
  const host = hostOf(config.host);

  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}/graphql`,
    dashboardUrl: dashboardUrlOf(`http://${host}:${port}/graphql`),
    metricsUrl: metricsListener === null ? null : `http://${hostOf(config.metrics.host)}:${(metricsListener.address() as AddressInfo).port}${METRICS_PATH}`,
    port,
    dataSource,
    services,
    live,
    demo,
    close: () =>
      (closing ??= (async () => {
        // Sockets close with 1001; HTTP stops accepting and drains what is in flight (the router still serves
        // it); then the router's loops stop and finish their passes; then the connections close.
        await subscriptions.dispose();
        await apollo.stop();
        if (metricsListener !== null) await new Promise<void>((resolve) => metricsListener.close(() => resolve()));
        await services.router.stop();
        await services.instructions.stop();
        await services.alerts.stop();
        await services.statistics.sealer.stop();
        await services.auditLog.stop();
        services.liveRebuild.stop();
        await services.directory.stop();
        await services.models.stop();
        await bus.close();
        await live.close();
        await dataSource.destroy();
      })()),
  };
}

/** How a URL names a listening host: IPv6 in brackets, the any-address as the loopback one. */
function hostOf(listening: string): string {
  return listening.includes(':') ? `[${listening}]` : listening === '0.0.0.0' ? '127.0.0.1' : listening;
}
