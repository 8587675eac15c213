import type { Server } from 'node:http';
import { GraphQLError, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type Context } from 'graphql-ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WebSocketLimits } from '../config';
import { loggableError } from '../errors';
import type { SubscriptionTarget } from './shared-execution';

/** How a connection_init went: the principal its credential stands for, or a refusal. */
export type SocketAuthentication<P> =
  | { accepted: P }
  /** Closed with 4403. */
  | { refused: 'forbidden' }
  /** Closed with 4429, the reason saying when to try again ("Too many requests; retry after N s"). */
  | { refused: 'throttled'; retryAfterSec: number };

/** What the socket layer needs to know of a principal. */
export interface SocketIdentity {
  /** The key it counts under in the per-principal socket cap. */
  key: string;
  /** The authority group (the company) whose changes make its sockets ask again; null: none. */
  group: string | null;
  /** When its credential expires (milliseconds since the epoch), closing its sockets; null: never. */
  expiresAtMs: number | null;
}

/** One operation as a subscribe message carries it. */
export interface SubscribeRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * The socket layer knows nothing of the schema's resolvers, of principals or of contexts: it is generic over
 * the principal `P` and the operation context `C`, as graphql-ws's own server is, and receives what it needs
 * as functions (the gateway wires them).
 */
export interface SubscriptionServerOptions<P, C extends object> {
  /** The schema operations run against. */
  schema: GraphQLSchema;
  limits: WebSocketLimits;
  logger: Logger;
  /** What `connectionParams.authorization` stands for at connection_init (`address`: the client's). A throw refuses (4403). */
  authenticate(authorization: string | undefined, address: string | null): Promise<SocketAuthentication<P>>;
  /** What a socket's credential stands for now (null: nothing any more); asked again after every change of its group's authority. */
  reauthenticate(authorization: string): Promise<P | null>;
  /** The cap key, authority group and expiry of a principal. */
  identify(principal: P): SocketIdentity;
  /** Whether two principals grant exactly the same (then a socket's subscriptions need no new check). */
  samePrincipal(a: P, b: P): boolean;
  /** Hears of every group whose authority (or configuration) changed on this instance's view. */
  onAuthorityChanged(listener: (group: string) => void): () => void;
  /** The per-operation context (built once per subscription) whose principal is the socket's current one. */
  context(principal: () => P | null, address: string | null): C;
  /** THE request admission: the document to run, or the errors to refuse the operation with. */
  admit(request: SubscribeRequest): { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };
  /** Runs one subscription; its events may be sent straight to `target` (see SubscriptionRunner). */
  subscribe(args: ExecutionArgs, target: SubscriptionTarget): Promise<AsyncIterable<ExecutionResult> | ExecutionResult>;
  /** Shapes an error before it leaves the process (codes, no internals). */
  formatError(error: GraphQLError): GraphQLFormattedError;
}

/** Formats the errors of an execution result with `formatError` (the result as it is when it has none). */
export function resultFormatter(formatError: (error: GraphQLError) => GraphQLFormattedError): (result: ExecutionResult) => ExecutionResult {
  return (result) => (result.errors ? ({ ...result, errors: result.errors.map(formatError) } as unknown as ExecutionResult) : result);
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
interface Connection<P> {
  readonly socket: WebSocket;
  /** The client's address (the TCP peer). */
  readonly address: string | null;
  /** graphql-ws's context of the socket, once connection_init arrived (its running subscriptions). */
  ctx?: Context<ConnectionParams, Connection<P>>;
  principal?: P;
  /** Its principal's cap key, authority group and expiry, as it was accepted. */
  identity?: SocketIdentity;
  /** The credential it was accepted with, asked again whenever its group's authority changed. */
  authorization?: string;
  /** Its running subscriptions, by operation id. */
  readonly targets: Map<string, SubscriptionTarget>;
  /** The key the socket counts under in the per-principal cap, once it was accepted. */
  countedAs?: string;
  /** Closes the socket when its credential expires. */
  expiry?: NodeJS.Timeout;
}

type ConnectionParams = Record<string, unknown> | undefined;

/** Interval of the protocol-level ping; a socket that has not answered the previous ping is dropped. */
const KEEP_ALIVE_MS = 12_000;
/** How long shutdown waits for clients to answer the 1001 close before dropping their connections. */
const CLOSE_GRACE_MS = 5_000;
/** The longest delay a Node timer takes (about 24.8 days); longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const refuse = (message: string, code: string) => [new GraphQLError(message, { extensions: { code } })];

/**
 * graphql-ws on the HTTP server's `/graphql` path: subscriptions only, authenticated at connection time
 * (close 4403 without valid credentials), each operation admitted by the request admission HTTP uses (the
 * same parse, depth, alias, bounds and cost limits, the same errors), and held to the socket limits of
 * `limits` (see SocketCloseCode). Returns the disposer, which closes every socket with 1001 and waits for
 * them before it resolves (so the HTTP server can close after it).
 *
 * The adapter between ws and graphql-ws is our own (graphql-ws's `useServer` is a starter meant to be
 * copied): its `send` hands a message to the socket without waiting for it to be flushed, so a consumer
 * that reads slower than events arrive makes the socket's buffer grow, where it is measured and bounded,
 * instead of a queue in front of the subscription that nothing bounds.
 */
export function attachSubscriptions<P, C extends object>(httpServer: Server, options: SubscriptionServerOptions<P, C>): {
  dispose(): Promise<void>;
  /** Sockets open on this instance (accepted or not yet) and the subscriptions running on them. */
  counts(): { sockets: number; subscriptions: number };
} {
  const { limits: socketLimits, logger } = options;
  const wss = new WebSocketServer({
    server: httpServer,
    path: '/graphql',
    maxPayload: socketLimits.maxMessageBytes,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  /** Open, accepted sockets per principal key. */
  const socketsOf = new Map<string, number>();
  /** Every open socket's connection (for the metrics). */
  const connections = new Set<Connection<P>>();
  /** The graphql-ws clean-up of sockets that closed (ends their subscriptions); shutdown waits for it. */
  const cleanups = new Set<Promise<void>>();

  const formatResult = resultFormatter(options.formatError);
  /** Each subscription's target, by the context object made for it (graphql-ws hands `subscribe` only the execution arguments). */
  const targets = new WeakMap<object, SubscriptionTarget>();
  /** A number per admitted document, which names it in operation keys (the admission hands back one document per query text). */
  const documentNumbers = new WeakMap<DocumentNode, number>();
  let documentNumber = 0;

  /** Ends the subscriptions of a socket that is being closed, so no further event is even produced for it. */
  const endSubscriptions = (connection: Connection<P>) => {
    for (const running of Object.values(connection.ctx?.subscriptions ?? {})) {
      if (running !== null && 'return' in running && typeof running.return === 'function') {
        void (running as AsyncGenerator).return(undefined).catch(() => undefined);
      }
    }
  };

  const closeAtExpiry = (connection: Connection<P>, expiresAtMs: number) => {
    const left = expiresAtMs - Date.now();
    if (left > 0) {
      connection.expiry = setTimeout(() => closeAtExpiry(connection, expiresAtMs), Math.min(left, MAX_TIMER_MS));
      return;
    }
    connection.expiry = undefined;
    connection.socket.close(SocketCloseCode.Forbidden, 'Token expired');
    endSubscriptions(connection);
  };

  /** Accepted sockets per authority group, so an authority change reaches each of its sockets. */
  const socketsOfGroup = new Map<string, Set<Connection<P>>>();

  const release = (connection: Connection<P>) => {
    if (connection.expiry !== undefined) clearTimeout(connection.expiry);
    connection.expiry = undefined;
    const group = connection.identity?.group;
    if (group !== undefined && group !== null) {
      const sockets = socketsOfGroup.get(group);
      sockets?.delete(connection);
      if (sockets?.size === 0) socketsOfGroup.delete(group);
    }
    const key = connection.countedAs;
    if (key === undefined) return;
    connection.countedAs = undefined;
    const open = (socketsOf.get(key) ?? 1) - 1;
    if (open > 0) socketsOf.set(key, open);
    else socketsOf.delete(key);
  };

  /** Sends unless the socket is closing or its consumer has fallen behind by more than the bound. */
  const send = (connection: Connection<P>, data: string) => {
    const { socket } = connection;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > socketLimits.maxBufferedBytes) {
      logger.warn({ principal: connection.identity?.key ?? null, bufferedBytes: socket.bufferedAmount }, 'closing a WebSocket whose consumer fell behind');
      socket.close(SocketCloseCode.TryAgainLater, 'Try again later');
      endSubscriptions(connection);
      return;
    }
    socket.send(data, (err) => {
      if (err) logger.debug({ err: loggableError(err) }, 'a WebSocket message was not delivered');
    });
  };

  const server = makeServer<ConnectionParams, Connection<P>>({
    schema: options.schema,
    connectionInitWaitTimeout: socketLimits.initTimeoutMs,
    onConnect: async (ctx) => {
      const connection = ctx.extra;
      const given = ctx.connectionParams?.authorization;
      const authorization = typeof given === 'string' ? given : undefined;
      let outcome: SocketAuthentication<P>;
      try {
        outcome = await options.authenticate(authorization, connection.address);
      } catch {
        outcome = { refused: 'forbidden' };
      }
      if ('refused' in outcome) {
        if (outcome.refused === 'throttled') {
          connection.socket.close(SocketCloseCode.TooManyConnections, `Too many requests; retry after ${String(outcome.retryAfterSec)} s`);
        }
        return false; // otherwise graphql-ws closes with 4403; a socket already closing ignores that
      }
      const principal = outcome.accepted;
      // No credential to ask again later, or the socket is already closing (the client left while its credentials were checked).
      if (authorization === undefined || connection.socket.readyState !== connection.socket.OPEN) return false;
      const identity = options.identify(principal);
      if (identity.expiresAtMs !== null && identity.expiresAtMs <= Date.now()) return false;
      const open = socketsOf.get(identity.key) ?? 0;
      if (open >= socketLimits.maxSocketsPerPrincipal) {
        connection.socket.close(SocketCloseCode.TooManyConnections, 'Too many connections');
        return false; // graphql-ws's own close (4403) is ignored: the socket is already closing
      }
      socketsOf.set(identity.key, open + 1);
      connection.countedAs = identity.key;
      connection.principal = principal;
      connection.identity = identity;
      connection.authorization = authorization;
      connection.ctx = ctx;
      if (identity.group !== null) {
        let sockets = socketsOfGroup.get(identity.group);
        if (sockets === undefined) socketsOfGroup.set(identity.group, (sockets = new Set()));
        sockets.add(connection);
      }
      if (identity.expiresAtMs !== null) closeAtExpiry(connection, identity.expiresAtMs);
      return true;
    },
    onSubscribe: (ctx, id, payload) => {
      if (ctx.extra.principal === undefined) return refuse('Not authenticated', 'UNAUTHENTICATED');
      // graphql-ws reserved this operation's id before asking, so it is counted among the subscriptions.
      if (Object.keys(ctx.subscriptions).length > socketLimits.maxSubscriptionsPerSocket) {
        return refuse(`Too many subscriptions on one connection (at most ${socketLimits.maxSubscriptionsPerSocket})`, 'BAD_REQUEST');
      }
      const admitted = options.admit(payload);
      if (admitted.errors !== undefined) return [...admitted.errors];
      const { document } = admitted;
      let number = documentNumbers.get(document);
      if (number === undefined) documentNumbers.set(document, (number = documentNumber += 1));
      const variables = payload.variables ?? undefined;
      const connection = ctx.extra;
      const contextValue = options.context(() => connection.principal ?? null, connection.address);
      const target: SubscriptionTarget = {
        id,
        operationKey: `${number}\u0000${payload.operationName ?? ''}\u0000${JSON.stringify(variables ?? null)}`,
        send: (data) => send(connection, data),
      };
      targets.set(contextValue, target);
      connection.targets.set(id, target);
      return { schema: options.schema, document, variableValues: variables, operationName: payload.operationName, contextValue };
    },
    subscribe: (args: ExecutionArgs) => options.subscribe(args, targets.get(args.contextValue as object)!),
    onNext: (_ctx, _id, _payload, _args, result) => formatResult(result as ExecutionResult),
    onComplete: (ctx, id) => void ctx.extra.targets.delete(id),
    onError: (_ctx, _id, _payload, errors) => errors.map(options.formatError) as never,
  });

  /**
   * A group's (company's) authority changed: every socket of it asks again what its credential stands for. One
   * that stands for nothing any more is closed with 4403; one whose principal changed keeps its socket, and each
   * of its subscriptions is authorised again (a stream of what it may no longer see ends with an error).
   */
  const recheck = async (connection: Connection<P>) => {
    const { authorization } = connection;
    if (authorization === undefined || connection.socket.readyState !== connection.socket.OPEN) return;
    let next: P | null;
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
    if (before !== undefined && options.samePrincipal(before, next)) return;
    connection.principal = next;
    for (const target of [...connection.targets.values()]) target.reauthorise?.();
  };
  const offAuthority = options.onAuthorityChanged((group) => {
    for (const connection of [...(socketsOfGroup.get(group) ?? [])]) {
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

  // The HTTP server's own errors reach the WebSocket server too: one of listening (a busy port) is the start's
  // failure, which the start reports in one line; only the others are the WebSocket server's to log.
  wss.on('error', (err) => {
    if ((err as NodeJS.ErrnoException).syscall === 'listen') return;
    logger.error({ err: loggableError(err) }, 'WebSocket server error');
  });
  wss.on('connection', (socket, request) => {
    const connection: Connection<P> = { socket, address: request.socket.remoteAddress ?? null, targets: new Map() };
    connections.add(connection);
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
      connections.delete(connection);
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
    counts: () => {
      let subscriptions = 0;
      for (const connection of connections) subscriptions += connection.targets.size;
      return { sockets: connections.size, subscriptions };
    },
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
