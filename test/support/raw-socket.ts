import WebSocket from 'ws';
import type { TestGateway } from './test-gateway';

const PROTOCOL = 'graphql-transport-ws';

export interface Closed {
  code: number;
  reason: string;
}

/** Every socket opened and not yet closed by closeAll. */
const opened: RawSocket[] = [];

/** A graphql-ws client written by hand over `ws`: every message it received, and how it was closed. */
export class RawSocket {
  readonly messages: any[] = [];
  readonly closed: Promise<Closed>;
  /** When the close arrived (ms since the epoch), once it did. */
  closedAt: number | null = null;
  private wakers: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      // Each message keeps when it arrived (receivedAt), so a test can tell what came after a change.
      this.messages.push(Object.assign(JSON.parse(String(data)), { receivedAt: Date.now() }));
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.closedAt = Date.now();
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
  }

  /** Opens the WebSocket (no connection_init yet). */
  static async open(t: TestGateway): Promise<RawSocket> {
    const socket = new RawSocket(new WebSocket(t.url.replace(/^http/, 'ws'), PROTOCOL));
    opened.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.ws.once('open', () => resolve());
      socket.ws.once('error', reject);
    });
    return socket;
  }

  /** Opens a socket and sends connection_init with `token` (none: no authorization). */
  static async connect(t: TestGateway, token?: string): Promise<RawSocket> {
    const socket = await RawSocket.open(t);
    socket.send({ type: 'connection_init', payload: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    return socket;
  }

  /** Opens, initialises, and fails unless the server acknowledged. */
  static async accepted(t: TestGateway, token: string): Promise<RawSocket> {
    const socket = await RawSocket.connect(t, token);
    const outcome = await socket.outcome();
    if (outcome !== 'acknowledged') throw new Error(`socket refused: ${JSON.stringify(outcome)}`);
    return socket;
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.send({ id, type: 'subscribe', payload: { query, variables } });
  }

  /** The connection_ack, or the close that came instead. */
  async outcome(timeoutMs = 5_000): Promise<'acknowledged' | Closed> {
    const ack = this.waitFor((m) => m.type === 'connection_ack', timeoutMs).then(() => 'acknowledged' as const);
    return Promise.race([ack, this.closed]);
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Waits for a message that matches; fails after `timeoutMs` or when the socket closes first. */
  async waitFor(match: (m: any) => boolean, timeoutMs = 5_000): Promise<any> {
    await this.until(() => this.messages.some(match), timeoutMs);
    return this.messages.find(match);
  }

  /** Waits until `count` `next` messages arrived for a subscription id; returns their payloads. */
  async waitForNexts(id: string, count: number, timeoutMs = 5_000): Promise<any[]> {
    await this.until(() => this.nexts(id).length >= count, timeoutMs);
    return this.nexts(id);
  }

  private async until(condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (condition()) return;
      const summary = () => JSON.stringify(this.messages.slice(-5));
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed first; its last messages: ${summary()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`not in time; the last messages: ${summary()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The `next` payloads received for a subscription id. */
  nexts(id: string): any[] {
    return this.messages.filter((m) => m.type === 'next' && m.id === id).map((m) => m.payload);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    const timer = setTimeout(() => this.ws.terminate(), 2_000);
    await this.closed;
    clearTimeout(timer);
  }

  private wake(): void {
    for (const w of this.wakers.splice(0)) w();
  }

  /**
   * The errors a subscription received: those of `error` messages, and those a `next` result carried (a
   * subscription refused when it is made, or ended by the server, gets its errors that way); empty when none.
   */
  errorsOf(id: string): any[] {
    return this.messages
      .filter((m) => m.id === id && (m.type === 'error' || (m.type === 'next' && m.payload.errors)))
      .flatMap((m) => (m.type === 'error' ? m.payload : m.payload.errors) as any[]);
  }

  /** Closes every socket opened since the last call (after each test). */
  static async closeAll(): Promise<void> {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  }
}
