import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of a server (a database, a Redis), for outage and fault tests that must not stop the
 * shared server; `delayMs` slows the link (the fault-injection suite uses it too):
 * `cut()` destroys every connection through it and refuses new ones (each is closed as soon as it is
 * accepted, as a server going down does), `restore()` lets connections through again.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private cutOff = false;
  /** Milliseconds added to every chunk in each direction, order kept (0: none): a slow link. */
  delayMs = 0;

  private constructor(
    private readonly server: Server,
    /** The port the proxy listens on (127.0.0.1). */
    readonly port: number,
  ) {}

  /** Starts a proxy on a free port of 127.0.0.1 forwarding to `targetHost:targetPort`. */
  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | null = null;
    const server = createServer((client) => {
      if (proxy === null) client.destroy();
      else proxy.accept(client, targetHost, targetPort);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new TcpProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  /** Whether connections are refused now. */
  get isCut(): boolean {
    return this.cutOff;
  }

  /** How many connections (both sides counted) pass through now. */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** Destroys every connection through the proxy and refuses new ones until `restore()`. */
  cut(): void {
    this.cutOff = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Lets new connections through again. */
  restore(): void {
    this.cutOff = false;
  }

  /** Destroys every connection and stops listening. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, targetHost: string, targetPort: number): void {
    client.on('error', () => undefined);
    if (this.cutOff) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    upstream.on('error', () => undefined);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      this.sockets.add(from);
      from.on('close', () => {
        this.sockets.delete(from);
        // Whatever is still delayed is delivered before the other side is closed.
        setTimeout(() => to.destroy(), this.delayMs);
      });
      // Each chunk leaves no earlier than `delayMs` after it came, in the order it came.
      const queue: Array<{ due: number; chunk: Buffer }> = [];
      let timer: NodeJS.Timeout | null = null;
      const pump = (): void => {
        timer = null;
        while (queue.length > 0 && queue[0]!.due <= Date.now()) {
          const { chunk } = queue.shift()!;
          if (!to.destroyed) to.write(chunk);
        }
        if (queue.length > 0) timer = setTimeout(pump, queue[0]!.due - Date.now());
      };
      from.on('data', (chunk: Buffer) => {
        if (this.delayMs <= 0 && queue.length === 0) {
          if (!to.destroyed) to.write(chunk);
          return;
        }
        queue.push({ due: Date.now() + this.delayMs, chunk });
        if (timer === null) timer = setTimeout(pump, Math.max(0, queue[0]!.due - Date.now()));
      });
    }
  }
}
