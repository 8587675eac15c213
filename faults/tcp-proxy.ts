import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of a server (here: the suite's Redis), for fault injection: `delayMs` holds every chunk
 * for that long in each direction (a slow link, order kept), `cut()` destroys every connection through it.
 * Connections are always accepted again (a cut is a dropped link, not a server going away).
 */
export class DelayProxy {
  private readonly sockets = new Set<Socket>();
  /** Milliseconds added to every chunk in each direction (0: none). */
  delayMs = 0;

  private constructor(
    private readonly server: Server,
    /** The port the proxy listens on (127.0.0.1). */
    readonly port: number,
  ) {}

  /** Starts a proxy on a free port of 127.0.0.1 forwarding to `targetHost:targetPort`. */
  static async start(targetHost: string, targetPort: number): Promise<DelayProxy> {
    let proxy: DelayProxy | null = null;
    const server = createServer((client) => {
      if (proxy === null) client.destroy();
      else proxy.accept(client, targetHost, targetPort);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new DelayProxy(server, (server.address() as AddressInfo).port);
    return proxy;
  }

  /** Destroys every connection through the proxy (new ones are accepted). */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Destroys every connection and stops listening. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, targetHost: string, targetPort: number): void {
    client.on('error', () => undefined);
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
