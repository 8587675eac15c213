import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The processes of the fault-injection run: gateway instances (`node dist/src/main.js`, configured from the
 * environment as in production) and a redis-server of the run's own. Every child is tracked and killed when the
 * run ends, however it ends.
 */

const ROOT = resolve(__dirname, '..', '..');
const GATEWAY_MAIN = join(ROOT, 'dist', 'src', 'main.js');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills every child still running (SIGKILL), synchronously: safe from an exit handler. */
export function killAllChildren(): void {
  for (const child of children) child.kill('SIGKILL');
}

/** How many children still run. */
export function childrenRunning(): number {
  return children.size;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? res(address.port) : rej(new Error('no port'))));
    });
  });
}

/** Keeps the last characters a child wrote, to show when it fails. */
function tailOf(child: ChildProcess, limit = 32_000): () => string {
  let text = '';
  const add = (d: Buffer) => {
    text = (text + d.toString()).slice(-limit);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

function redisPing(port: number): Promise<boolean> {
  return new Promise((res) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      res(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

/** A redis-server without persistence on a port of its own: started again, it is empty at the same address. */
export class RedisServer {
  private child: ChildProcess | null = null;
  private output: () => string = () => '';
  private readonly dir = mkdtempSync(join(tmpdir(), 'faults-redis-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<RedisServer> {
    const redis = new RedisServer(await freePort());
    await redis.start();
    return redis;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(timeoutMs = 10_000): Promise<void> {
    if (this.running) return;
    const child = track(
      spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', this.dir], {
        cwd: this.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    this.child = child;
    this.output = tailOf(child);
    const deadline = Date.now() + timeoutMs;
    while (!(await redisPing(this.port))) {
      if (!this.running) throw new Error(`redis-server on ${this.port} exited at start:\n${this.output()}`);
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not answer within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child) await stopChild(this.child, signal);
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One gateway instance: a process started from an environment, on a port chosen at each start. */
export class GatewayInstance {
  private child: ChildProcess | null = null;
  private dir: string | null = null;
  private output: () => string = () => '';
  port = 0;

  constructor(readonly name: string, private readonly env: Record<string, string>) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last of what it wrote. */
  log(): string {
    return this.output();
  }

  /** Starts it and resolves once /readyz answers 200. */
  async start(timeoutMs = 60_000): Promise<void> {
    for (let tries = 1; ; tries += 1) {
      this.port = await freePort();
      this.dir = mkdtempSync(join(tmpdir(), 'faults-gateway-'));
      const child = track(
        spawn(process.execPath, [GATEWAY_MAIN], {
          cwd: this.dir,
          env: { PATH: process.env.PATH ?? '', ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      this.child = child;
      this.output = tailOf(child);
      try {
        await this.waitReady(timeoutMs);
        return;
      } catch (error) {
        await this.kill('SIGKILL');
        if (tries < 3 && /EADDRINUSE/.test(this.output())) continue;
        throw error;
      }
    }
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.alive) throw new Error(`gateway ${this.name} exited before it was ready:\n${this.output()}`);
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}/readyz`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`gateway ${this.name} was not ready within ${timeoutMs} ms:\n${this.output()}`);
      await sleep(100);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child) await stopChild(this.child, signal, 10_000);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}
