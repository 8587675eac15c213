import type { Server } from 'node:http';
import { GraphQLError, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type Context } from 'graphql-ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../auth/principal';
import type { Limits } from '../config';
import { errors, formatClientError, loggableError } from '../errors';
import { limitRules, operationProblems } from '../limits';
import { SubscriptionRunner, type SubscriptionTarget } from './shared-execution';
import type { GatewayContext } from '../resolvers/context';

export interface SubscriptionServerOptions {
  schema: GraphQLSchema;
  /** When false (production), validation messages lose their "Did you mean ...?" hints, as over HTTP. */
  schemaDetailsInErrors?: boolean;
  limits: Limits;
  logger: Logger;
  /** THE authentication of HTTP requests, applied to `connectionParams.authorization` (`address`: the client's). */
  authenticate(authorization: string | undefined, address: string | null): Promise<Principal | null>;
  /** What a socket's credential stands for now (null: nothing any more); asked again after every authority change. */
  reauthenticate(authorization: string): Promise<Principal | null>;
  /** Hears of every company whose authority (or configuration) changed on this instance's view. */
  onAuthorityChanged(listener: (companyId: string) => void): () => void;
  /** The per-operation context (built once per subscription) whose principal is the socket's current one. */
  context(principal: () => Principal | null, address: string | null): GatewayContext;
}

/**
 * How the gateway closes a socket. graphql-ws's own codes (4400 bad message, 4401 subscribe before the
 * acknowledgement, 4409 a repeated subscription id, 4429 a second connection_init...) apply as well.
 */
export const SocketCloseCode = {
  /** Shutdown of the gateway. */
  GoingAway: 1001,
  /** An incoming message over WS_MAX_MESSAGE_BYTES (sent by ws itself). */
  MessageTooBig: 1009,
  /** A slow consumer: more than WS_MAX_BUFFERED_BYTES waited to be sent. Reconnecting later is fine. */
  TryAgainLater: 1013,
  /**
   * Credentials refused at connection_init; a user token that expired while the socket was open; or a
   * principal that lost its authority while it was open (key revoked; login deactivated, deleted or
   * re-passworded; company gone).
   */
  Forbidden: CloseCode.Forbidden,
  /** No connection_init within WS_INIT_TIMEOUT_MS. */
  InitTimeout: CloseCode.ConnectionInitialisationTimeout,
  /**
   * The principal already has WS_MAX_SOCKETS_PER_PRINCIPAL sockets open on this instance; or its credential is
   * a refused connector key while that key id or the client address is blocked for refused keys (the reason
   * says when to try again: "Too many requests; retry after N s").
   */
  TooManyConnections: 4429,
  /** A failure inside the gateway (graphql-ws's code for it). */
  InternalError: CloseCode.InternalServerError,
} as const;

/** What the gateway keeps of one socket (graphql-ws's `ctx.extra`). */
interface Connection {
  readonly socket: WebSocket;
  /** The client's address (the TCP peer). */
  readonly address: string | null;
  /** graphql-ws's context of the socket, once connection_init arrived (its running subscriptions). */
  ctx?: Context<ConnectionParams, Connection>;
  principal?: Principal;
  /** The credential it was accepted with, asked again whenever its company's authority changed. */
  authorization?: string;
  /** The company of its principal (null for the platform operator). */
  companyId?: string | null;
  /** Its running subscriptions, by operation id. */
  readonly targets: Map<string, SubscriptionTarget>;
  /** The key the socket counts under in the per-principal cap, once it was accepted. */
  countedAs?: string;
  /** Closes the socket when a user token expires. */
  expiry?: NodeJS.Timeout;
}

type ConnectionParams = Record<string, unknown> | undefined;

/** Interval of the protocol-level ping; a socket that has not answered the previous ping is dropped. */
const KEEP_ALIVE_MS = 12_000;
/** Parsed and validated documents kept for reuse, by query text (dashboards send the same few). */
const DOCUMENT_CACHE_SIZE = 500;
/** How long shutdown waits for clients to answer the 1001 close before dropping their connections. */
const CLOSE_GRACE_MS = 5_000;
/** The longest delay a Node timer takes (about 24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const refuse = (message: string, code: string) => [new GraphQLError(message, { extensions: { code } })];

/** Whether two principals grant exactly the same (then a socket's subscriptions need no new check). */
function samePrincipal(a: Principal, b: Principal): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  if (a.kind === 'connector' && b.kind === 'connector') return a.keyId === b.keyId && a.companyId === b.companyId;
  if (a.kind !== 'user' || b.kind !== 'user') return a.kind === b.kind;
  if (a.userId !== b.userId || a.userKind !== b.userKind || a.tokenVersion !== b.tokenVersion || a.tokenExp !== b.tokenExp) return false;
  for (const area of Object.keys(a.privileges) as Array<keyof typeof a.privileges>) if (a.privileges[area] !== b.privileges[area]) return false;
  const p = a.profile;
  const q = b.profile;
  if (p === null || q === null) return p === q;
  if (p.id !== q.id || p.scope !== q.scope || p.destinationIds.size !== q.destinationIds.size) return false;
  for (const id of p.destinationIds) if (!q.destinationIds.has(id)) return false;
  return true;
}

/** One key per principal for the socket cap: a user, a connector key, or the platform operator. */
function principalKey(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return `user:${principal.userId}`;
    case 'connector':
      return `connector:${principal.keyId}`;
    case 'platform':
      return 'platform';
  }
}

/**
 * graphql-ws on the HTTP server's `/graphql` path: subscriptions only, authenticated at connection time
 * (close 4403 without valid credentials), held to the same parse, depth, alias and cost limits as HTTP,
 * and to the socket limits of `limits.websocket` (see SocketCloseCode). Returns the disposer, which closes
 * every socket with 1001 and waits for them before it resolves (so the HTTP server can close after it).
 *
 * The adapter between ws and graphql-ws is our own (graphql-ws's `useServer` is a starter meant to be
 * copied): its `send` hands a message to the socket without waiting for it to be flushed, so a consumer
 * that reads slower than events arrive makes the socket's buffer grow, where it is measured and bounded,
 * instead of a queue in front of the subscription that nothing bounds.
 */
export function attachSubscriptions(httpServer: Server, options: SubscriptionServerOptions): { dispose(): Promise<void> } {
  const { limits, logger } = options;
  const socketLimits = limits.websocket;
  const wss = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: socketLimits.maxMessageBytes,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  const rules = [...specifiedRules, ...limitRules(limits)];
  const logInternal = (err: unknown) => logger.error({ err: loggableError(err) }, 'internal error in a subscription');
  /** Open, accepted sockets per principal key. */
  const socketsOf = new Map<string, number>();
  /** The graphql-ws clean-up of sockets that closed (ends their subscriptions); shutdown waits for it. */
  const cleanups = new Set<Promise<void>>();

  const formatResult = (result: ExecutionResult): ExecutionResult =>
    result.errors ? { ...result, errors: result.errors.map((e) => formatClientError(e.toJSON(), e, logInternal)) as never } : result;
  const runner = new SubscriptionRunner(options.schema, formatResult);
  /** Each subscription's target, by the context object made for it (graphql-ws hands the runner only the execution arguments). */
  const targets = new WeakMap<object, SubscriptionTarget>();
  /** Documents that parsed and validated, by query text, with a number that names them in operation keys. */
  const documents = new Map<string, { document: DocumentNode; number: number }>();
  let documentNumber = 0;

  /** Ends the subscriptions of a socket that is being closed, so no further event is even produced for it. */
  const endSubscriptions = (connection: Connection) => {
    for (const running of Object.values(connection.ctx?.subscriptions ?? {})) {
      if (running !== null && 'return' in running && typeof running.return === 'function') {
        void (running as AsyncGenerator).return(undefined).catch(() => undefined);
      }
    }
  };

  const closeAtExpiry = (connection: Connection, expiresAtMs: number) => {
    const left = expiresAtMs - Date.now();
    if (left > 0) {
      connection.expiry = setTimeout(() => closeAtExpiry(connection, expiresAtMs), Math.min(left, MAX_TIMER_MS));
      return;
    }
    connection.expiry = undefined;
    connection.socket.close(SocketCloseCode.Forbidden, 'Token expired');
    endSubscriptions(connection);
  };

  /** Accepted sockets per company, so an authority change reaches each of its sockets. */
  const socketsOfCompany = new Map<string, Set<Connection>>();

  const release = (connection: Connection) => {
    if (connection.expiry !== undefined) clearTimeout(connection.expiry);
    connection.expiry = undefined;
    const companyId = connection.companyId;
    if (companyId !== undefined && companyId !== null) {
      const sockets = socketsOfCompany.get(companyId);
      sockets?.delete(connection);
      if (sockets?.size === 0) socketsOfCompany.delete(companyId);
    }
    const key = connection.countedAs;
    if (key === undefined) return;
    connection.countedAs = undefined;
    const open = (socketsOf.get(key) ?? 1) - 1;
    if (open > 0) socketsOf.set(key, open);
    else socketsOf.delete(key);
  };

  /** Sends unless the socket is closing or its consumer has fallen behind by more than the bound. */
  const send = (connection: Connection, data: string) => {
    const { socket } = connection;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > socketLimits.maxBufferedBytes) {
      logger.warn(
        { principal: connection.principal ? principalKey(connection.principal) : null, bufferedBytes: socket.bufferedAmount },
        'closing a WebSocket whose consumer fell behind',
      );
      socket.close(SocketCloseCode.TryAgainLater, 'Try again later');
      endSubscriptions(connection);
      return;
    }
    socket.send(data, (err) => {
      if (err) logger.debug({ err: loggableError(err) }, 'a WebSocket message was not delivered');
    });
  };

  const server = makeServer<ConnectionParams, Connection>({
    schema: options.schema,
    connectionInitWaitTimeout: socketLimits.initTimeoutMs,
    onConnect: async (ctx) => {
      const connection = ctx.extra;
      const authorization = ctx.connectionParams?.authorization;
      let principal: Principal | null;
      try {
        principal = await options.authenticate(typeof authorization === 'string' ? authorization : undefined, connection.address);
      } catch (error) {
        const retryAfterSec = error instanceof GraphQLError && error.extensions.code === 'TOO_MANY_REQUESTS' ? error.extensions.retryAfterSec : undefined;
        if (retryAfterSec !== undefined) {
          connection.socket.close(SocketCloseCode.TooManyConnections, `Too many requests; retry after ${String(retryAfterSec)} s`);
        }
        return false; // otherwise graphql-ws closes with 4403; a socket already closing ignores that
      }
      // Refused, or the socket is already closing (the client left while its credentials were checked).
      if (principal === null || connection.socket.readyState !== connection.socket.OPEN) return false;
      if (principal.kind === 'user' && principal.tokenExp * 1000 <= Date.now()) return false;
      const key = principalKey(principal);
      const open = socketsOf.get(key) ?? 0;
      if (open >= socketLimits.maxSocketsPerPrincipal) {
        connection.socket.close(SocketCloseCode.TooManyConnections, 'Too many connections');
        return false; // graphql-ws's own close (4403) is ignored: the socket is already closing
      }
      socketsOf.set(key, open + 1);
      connection.countedAs = key;
      connection.principal = principal;
      connection.authorization = authorization as string;
      connection.ctx = ctx;
      connection.companyId = principal.kind === 'platform' ? null : principal.companyId;
      if (connection.companyId !== null) {
        let sockets = socketsOfCompany.get(connection.companyId);
        if (sockets === undefined) socketsOfCompany.set(connection.companyId, (sockets = new Set()));
        sockets.add(connection);
      }
      if (principal.kind === 'user') closeAtExpiry(connection, principal.tokenExp * 1000);
      return true;
    },
    onSubscribe: (ctx, id, payload) => {
      const principal = ctx.extra.principal;
      if (principal === undefined) return refuse('Not authenticated', 'UNAUTHENTICATED');
      // graphql-ws reserved this operation's id before asking, so it is counted among the subscriptions.
      if (Object.keys(ctx.subscriptions).length > socketLimits.maxSubscriptionsPerSocket) {
        return refuse(`Too many subscriptions on one connection (at most ${socketLimits.maxSubscriptionsPerSocket})`, 'BAD_REQUEST');
      }
      let known = documents.get(payload.query);
      if (known === undefined) {
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: limits.maxTokens });
        } catch (error) {
          // Coded as HTTP codes them (GRAPHQL_PARSE_FAILED), with the same message and location.
          const e = error instanceof GraphQLError ? error : new GraphQLError('Syntax error');
          return [new GraphQLError(e.message, { source: e.source, positions: e.positions, originalError: e, extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const operation = getOperationAST(document, payload.operationName);
        if (!operation || operation.operation !== 'subscription') {
          return refuse('Only subscriptions are served over WebSocket; send queries and mutations over HTTP', 'BAD_REQUEST');
        }
        const invalid = validate(options.schema, document, rules);
        if (invalid.length > 0) {
          // The limit rules code their errors QUERY_TOO_COMPLEX; every other one is coded as HTTP codes it.
          const hide = options.schemaDetailsInErrors === false;
          return invalid.map((e) =>
            e.extensions.code !== undefined
              ? e
              : new GraphQLError(hide ? e.message.replace(/ ?Did you mean(.+?)\?$/, '') : e.message, {
                  nodes: e.nodes, originalError: e, extensions: { ...e.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
                }),
          );
        }
        known = { document, number: (documentNumber += 1) };
        if (documents.size >= DOCUMENT_CACHE_SIZE) documents.delete(documents.keys().next().value!);
        documents.set(payload.query, known);
      } else {
        // The operation name picks the operation: what the cached document passed for one name says nothing of another.
        const operation = getOperationAST(known.document, payload.operationName);
        if (!operation || operation.operation !== 'subscription') {
          return refuse('Only subscriptions are served over WebSocket; send queries and mutations over HTTP', 'BAD_REQUEST');
        }
      }
      const { document } = known;
      const variables = payload.variables ?? undefined;
      const problems = operationProblems(options.schema, document, variables, limits);
      if (problems.nul !== null) return refuse('Must not contain a NUL character', 'BAD_USER_INPUT');
      if (problems.bounds.length > 0) return [errors.badInput([...problems.bounds])];
      if (problems.cost.length > 0) return refuse(problems.cost[0]!.message, 'QUERY_TOO_COMPLEX');
      const connection = ctx.extra;
      const contextValue = options.context(() => connection.principal ?? null, connection.address);
      const target: SubscriptionTarget = {
        id,
        operationKey: `${known.number}\u0000${payload.operationName ?? ''}\u0000${JSON.stringify(variables ?? null)}`,
        send: (data) => send(connection, data),
      };
      targets.set(contextValue, target);
      connection.targets.set(id, target);
      return { schema: options.schema, document, variableValues: variables, operationName: payload.operationName, contextValue };
    },
    subscribe: (args) => runner.subscribe(args, targets.get(args.contextValue as object)!),
    onNext: (_ctx, _id, _payload, _args, result) => formatResult(result as ExecutionResult),
    onComplete: (ctx, id) => void ctx.extra.targets.delete(id),
    onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatClientError(e.toJSON(), e, logInternal)) as never,
  });

  /**
   * A company's authority changed: every socket of it asks again what its credential stands for. One that
   * stands for nothing any more is closed with 4403; one whose principal changed keeps its socket, and each
   * of its subscriptions is authorised again (a stream of what it may no longer see ends with an error).
   */
  const recheck = async (connection: Connection) => {
    const { authorization } = connection;
    if (authorization === undefined || connection.socket.readyState !== connection.socket.OPEN) return;
    let next: Principal | null;
    try {
      next = await options.reauthenticate(authorization);
    } catch (err) {
      // Authority that cannot be read now is not extended: the socket may reconnect.
      logger.warn({ err: loggableError(err) }, 'a socket\'s principal could not be read again; closing it');
      next = null;
    }
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    if (next === null) {
      connection.socket.close(SocketCloseCode.Forbidden, 'Forbidden');
      endSubscriptions(connection);
      return;
    }
    const before = connection.principal;
    if (before !== undefined && samePrincipal(before, next)) return;
    connection.principal = next;
    for (const target of [...connection.targets.values()]) target.reauthorise?.();
  };
  const offAuthority = options.onAuthorityChanged((companyId) => {
    for (const connection of [...(socketsOfCompany.get(companyId) ?? [])]) {
      void recheck(connection).catch((err: unknown) => logger.error({ err: loggableError(err) }, 'checking a socket after an authority change failed'));
    }
  });

  /** Sockets that have not answered the last ping; one timer pings them all. */
  const unanswered = new Set<WebSocket>();
  const keepAlive = setInterval(() => {
    for (const socket of wss.clients) {
      if (unanswered.has(socket)) {
        socket.terminate();
        continue;
      }
      unanswered.add(socket);
      socket.ping();
    }
  }, KEEP_ALIVE_MS);
  keepAlive.unref();

  wss.on('error', (err) => logger.error({ err: loggableError(err) }, 'WebSocket server error'));
  wss.on('connection', (socket, request) => {
    const connection: Connection = { socket, address: request.socket.remoteAddress ?? null, targets: new Map() };
    socket.on('error', (err) => {
      logger.warn({ err: loggableError(err) }, 'WebSocket error');
      socket.close(SocketCloseCode.InternalError, 'Internal server error');
    });
    socket.on('pong', () => unanswered.delete(socket));

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => send(connection, data),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((err: unknown) => {
              logger.warn({ err: loggableError(err) }, 'a WebSocket message could not be handled');
              socket.close(SocketCloseCode.InternalError, 'Internal server error');
            });
          }),
      },
      connection,
    );
    socket.once('close', (code, reason) => {
      unanswered.delete(socket);
      release(connection);
      const cleanup = closed(code, reason.toString())
        .catch((err: unknown) => logger.warn({ err: loggableError(err) }, 'closing a WebSocket failed'))
        .finally(() => cleanups.delete(cleanup));
      cleanups.add(cleanup);
    });
  });

  let disposing: Promise<void> | null = null;
  return {
    dispose: () =>
      (disposing ??= (async () => {
        clearInterval(keepAlive);
        offAuthority();
        // Stop accepting; the callback runs once every client socket has closed.
        const allClosed = new Promise<void>((resolve) => wss.close(() => resolve()));
        for (const socket of wss.clients) socket.close(SocketCloseCode.GoingAway, 'Going away');
        const drop = setTimeout(() => {
          for (const socket of wss.clients) socket.terminate();
        }, CLOSE_GRACE_MS);
        await allClosed;
        clearTimeout(drop);
        await Promise.all([...cleanups]);
      })()),
  };
}

export { CloseCode };
