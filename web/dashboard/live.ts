import { createClient, type Client } from 'graphql-ws';
import { GRAPHQL_WS_URL } from './api';
import type { NoVariables, Operation } from './queries';

export type ConnectionStatus = 'connecting' | 'connected' | 'offline';

export interface LiveHandlers {
  /** The socket's state changed (the page shows a banner unless connected). */
  status(status: ConnectionStatus): void;
  /** Connected again after a drop: updates may have been missed, so everything is read again. */
  reconnected(): void;
  /**
   * The gateway closed with 4403. It does so when the token is refused, but also when authenticating
   * failed for a passing reason: answers whether the session is really over (asked over HTTP).
   */
  sessionEnded(): Promise<boolean>;
  /** The session is over (the token expired or was revoked). */
  refused(): void;
}

/** No pong this long after our ping: the socket is dead even if the browser has not noticed. */
const PONG_TIMEOUT_MS = 5_000;
const KEEP_ALIVE_MS = 10_000;
const FORBIDDEN = 4403;

/** The wait before reconnect attempt `retries` (0, 1, ...): 0.5 s doubling up to 10 s, with jitter. */
function retryDelay(retries: number): number {
  return Math.min(500 * 2 ** retries, 10_000) + Math.random() * 500;
}

function retryWait(retries: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, retryDelay(retries)));
}

/**
 * The dashboard's subscriptions over one graphql-ws socket: connects at once, retries for ever with
 * back-off, detects a dead socket by ping/pong, and reports its state. graphql-ws itself gives up on
 * close codes it deems fatal (4500 on a server error, 1009, 4400, ...) and on 4403: then the client is
 * replaced by a new one after a back-off, every subscription is made again and everything is read again
 * (`reconnected`). Only a 4403 whose session an HTTP request confirms is over ends the session.
 */
export class LiveConnection {
  private client: Client;
  /** Which client is current: events of a replaced one are ignored. */
  private generation = 0;
  private connectedOnce = false;
  /** Clients replaced in a row without one connecting (for the back-off). */
  private restarts = 0;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  /** Every subscription, made again on each new client. */
  private readonly subscriptions: Array<(client: Client) => void> = [];

  constructor(private readonly token: string, private readonly handlers: LiveHandlers) {
    this.client = this.connect();
  }

  /** Streams one subscription's field to `next` until the connection is disposed (resubscribed on every reconnect). */
  subscribe<T, F extends keyof T & string>(query: Operation<T, NoVariables>, field: F, next: (value: NonNullable<T[F]>) => void, failed: (message: string) => void): void {
    const start = (client: Client): void => {
      const generation = this.generation;
      client.subscribe<T>(
        { query },
        {
          next: (message) => {
            if (generation !== this.generation || this.disposed) return;
            const value = message.data?.[field];
            if (value !== undefined && value !== null) next(value);
          },
          error: (error) => {
            if (this.disposed || generation !== this.generation || isCloseEvent(error)) return;
            const list = Array.isArray(error) ? (error as Array<{ message?: string }>) : [error as { message?: string }];
            failed(list.map((e) => e?.message ?? 'subscription failed').join('; '));
          },
          complete: () => undefined,
        },
      );
    };
    this.subscriptions.push(start);
    start(this.client);
  }

  dispose(): void {
    this.disposed = true;
    this.generation += 1;
    clearTimeout(this.pongTimer);
    clearTimeout(this.restartTimer);
    void this.client.dispose();
  }

  private connect(): Client {
    const generation = ++this.generation;
    const current = () => !this.disposed && generation === this.generation;
    const replacing = this.restarts > 0;
    const client: Client = createClient({
      url: GRAPHQL_WS_URL,
      connectionParams: { authorization: `Bearer ${this.token}` },
      lazy: false,
      keepAlive: KEEP_ALIVE_MS,
      retryAttempts: Number.POSITIVE_INFINITY,
      retryWait,
      shouldRetry: (event) => !(isCloseEvent(event) && event.code === FORBIDDEN),
      // graphql-ws gave up (a fatal close code, or 4403): this client is done.
      onNonLazyError: (error) => {
        if (current()) this.gaveUp(error);
      },
      on: {
        connecting: () => {
          if (current()) this.handlers.status(this.connectedOnce ? 'offline' : 'connecting');
        },
        connected: () => {
          if (!current()) return;
          const again = this.connectedOnce || replacing;
          this.connectedOnce = true;
          this.restarts = 0;
          this.handlers.status('connected');
          if (again) this.handlers.reconnected();
        },
        closed: () => {
          if (!current()) return;
          clearTimeout(this.pongTimer);
          this.handlers.status('offline');
        },
        ping: (received) => {
          if (received || !current()) return;
          // We pinged: a pong must follow, or the socket is gone (e.g. a network change) and is replaced.
          clearTimeout(this.pongTimer);
          this.pongTimer = setTimeout(() => client.terminate(), PONG_TIMEOUT_MS);
        },
        pong: (received) => {
          if (received) clearTimeout(this.pongTimer);
        },
      },
    });
    return client;
  }

  /** The client stopped retrying: ends the session if the gateway says so, else replaces the client after a back-off. */
  private gaveUp(error: unknown): void {
    this.generation += 1; // late events of the old client are ignored from now on
    clearTimeout(this.pongTimer);
    void this.client.dispose();
    this.handlers.status('offline');
    const delay = retryDelay(this.restarts);
    this.restarts += 1;
    const restart = (): void => {
      if (this.disposed) return;
      this.restartTimer = setTimeout(() => {
        if (this.disposed) return;
        this.client = this.connect();
        for (const start of this.subscriptions) start(this.client);
      }, delay);
    };
    if (!(isCloseEvent(error) && error.code === FORBIDDEN)) {
      restart();
      return;
    }
    void this.handlers.sessionEnded().then(
      (ended) => {
        if (this.disposed) return;
        if (ended) this.handlers.refused();
        else restart();
      },
      () => restart(),
    );
  }
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;
}
