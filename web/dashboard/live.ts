import { createClient, type Client } from 'graphql-ws';
import { GRAPHQL_WS_URL } from './api';

export type ConnectionStatus = 'connecting' | 'connected' | 'offline';

export interface LiveHandlers {
  /** The socket's state changed (the page shows a banner unless connected). */
  status(status: ConnectionStatus): void;
  /** Connected again after a drop: updates may have been missed, so everything is read again. */
  reconnected(): void;
  /** The gateway refused the credentials (4403: token expired or revoked): the session is over. */
  refused(): void;
}

/** No pong this long after our ping: the socket is dead even if the browser has not noticed. */
const PONG_TIMEOUT_MS = 5_000;
const KEEP_ALIVE_MS = 10_000;
const FORBIDDEN = 4403;

/** Waits before reconnect attempt `retries` (0, 1, ...): 0.5 s doubling up to 10 s, with jitter. */
function retryWait(retries: number): Promise<void> {
  const ms = Math.min(500 * 2 ** retries, 10_000) + Math.random() * 500;
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One graphql-ws socket for the dashboard's subscriptions: connects at once, retries for ever with
 * back-off (except when the gateway refuses the token), detects a dead socket by ping/pong, and reports
 * its state.
 */
export class LiveConnection {
  private readonly client: Client;
  private connectedOnce = false;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(token: string, handlers: LiveHandlers) {
    this.client = createClient({
      url: GRAPHQL_WS_URL,
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: false,
      keepAlive: KEEP_ALIVE_MS,
      retryAttempts: Number.POSITIVE_INFINITY,
      retryWait,
      shouldRetry: (event) => !(isCloseEvent(event) && event.code === FORBIDDEN),
      onNonLazyError: (error) => {
        if (isCloseEvent(error) && error.code === FORBIDDEN) handlers.refused();
        else if (!this.disposed) handlers.status('offline');
      },
      on: {
        connecting: () => handlers.status(this.connectedOnce ? 'offline' : 'connecting'),
        connected: () => {
          const again = this.connectedOnce;
          this.connectedOnce = true;
          handlers.status('connected');
          if (again) handlers.reconnected();
        },
        closed: () => {
          clearTimeout(this.pongTimer);
          if (!this.disposed) handlers.status('offline');
        },
        ping: (received) => {
          if (received) return;
          // We pinged: a pong must follow, or the socket is gone (e.g. a network change) and is replaced.
          clearTimeout(this.pongTimer);
          this.pongTimer = setTimeout(() => this.client.terminate(), PONG_TIMEOUT_MS);
        },
        pong: (received) => {
          if (received) clearTimeout(this.pongTimer);
        },
      },
    });
  }

  /** Streams one subscription's field to `next` until the connection is disposed (resubscribed on every reconnect). */
  subscribe<T>(query: string, field: string, next: (value: T) => void, failed: (message: string) => void): void {
    this.client.subscribe<Record<string, T>>(
      { query },
      {
        next: (message) => {
          const value = message.data?.[field];
          if (value !== undefined && value !== null) next(value);
        },
        error: (error) => {
          if (this.disposed || isCloseEvent(error)) return;
          const list = Array.isArray(error) ? (error as Array<{ message?: string }>) : [error as { message?: string }];
          failed(list.map((e) => e?.message ?? 'subscription failed').join('; '));
        },
        complete: () => undefined,
      },
    );
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.pongTimer);
    void this.client.dispose();
  }
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;
}
