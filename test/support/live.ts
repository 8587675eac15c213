import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** One graphql-ws subscription of a test: what it received (data and errors) and how to wait for more. */
export interface LiveSubscription<T> {
  readonly events: T[];
  readonly errors: Array<{ message: string; extensions?: Record<string, any> }>;
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  close(): Promise<void>;
}

/** Subscribes as `token` (user token or key) and collects the `field` of each event. */
export async function subscribe<T = any>(url: string, token: string, query: string, field: string, variables: Record<string, unknown> = {}): Promise<LiveSubscription<T>> {
  const client: Client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false });
  const events: T[] = [];
  const errors: LiveSubscription<T>['errors'] = [];
  await new Promise<void>((resolve, reject) => {
    const off = client.on('connected', () => { off(); resolve(); });
    client.on('closed', (e) => reject(new Error(`closed ${(e as { code?: number }).code}`)));
  });
  client.subscribe<Record<string, T>>({ query, variables }, {
    next: (msg) => {
      if (msg.data) events.push(msg.data[field] as T);
      if (msg.errors) errors.push(...(msg.errors as never[]));
    },
    error: (e) => {
      // graphql-ws reports GraphQL errors as an array, a closed socket as its close event (code and reason).
      const closed = e as { code?: number; reason?: string; message?: string };
      errors.push(...(Array.isArray(e) ? e : [{ message: closed.message ?? `socket closed ${closed.code ?? ''} ${closed.reason ?? ''}`.trim() }]));
    },
    complete: () => undefined,
  });
  await new Promise((r) => setTimeout(r, 100));
  return {
    events,
    errors,
    async waitFor(count, timeoutMs = 8_000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} events, got ${events.length}: ${JSON.stringify(events)} ${JSON.stringify(errors)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return events;
    },
    close: () => client.dispose() as Promise<void>,
  };
}
