import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

/**
 * Child processes of the process suites (`./processes.ts`) and of the fault-injection run (`faults/`): the
 * built gateway (`node dist/src/main.js`) started from its environment, a private redis-server, and the
 * bookkeeping that lets the caller kill every child still running. It imports nothing from `src/` nor from
 * the in-process test gateway, so the fault run loads only what it spawns.
 */

/** The project's root: two folders up from this file, three when it runs compiled from `dist/test/support`. */
const ROOT = ((up) => (basename(up) === 'dist' && existsSync(join(up, '..', 'package.json')) ? resolve(up, '..') : up))(resolve(__dirname, '..', '..'));
/** The built gateway's entry point, as `npm start` runs it. */
export const GATEWAY_MAIN = join(ROOT, 'dist', 'src', 'main.js');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const children = new Set<ChildProcess>();

/** Counts the child among those `killAllChildren` kills, until it exits. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills every tracked child still running (SIGKILL), synchronously: safe from an exit handler. */
export function killAllChildren(): void {
  for (const child of children) child.kill('SIGKILL');
}

/** How many tracked children still run. */
export function childrenRunning(): number {
  return children.size;
}

/** Whether a `redis-server` binary (and so `redis-cli`) can be run here. */
export function redisServerInstalled(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore', timeout: 5_000 });
  return probe.error === undefined && probe.status === 0;
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

// ---------------------------------------------------------------- output and exit of children

/** Keeps the last `limit` characters a child wrote (stdout and stderr), so a failure can show them. */
export class Tail {
  private text = '';
  constructor(child: ChildProcess, private readonly limit = 64_000) {
    const add = (d: Buffer) => {
      this.text = (this.text + d.toString()).slice(-this.limit);
    };
    child.stdout?.on('data', add);
    child.stderr?.on('data', add);
  }

  toString(): string {
    return this.text;
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));
}

/** Sends `signal` and waits for the exit; SIGKILL after `graceMs` if it has not gone by then. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<Exit> {
  const exit = exitOf(child);
  if (child.exitCode !== null || child.signalCode !== null) return exit;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await exit;
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- a private Redis

/** Answers whether a Redis server answers PING on the port (raw RESP, one try). */
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

/**
 * A redis-server of one suite (or run), in the foreground, on its own port, without persistence: stopping
 * and starting it again gives an empty Redis on the same address.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private tail: Tail | null = null;
  private readonly dir: string;

  private constructor(readonly port: number, dirPrefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), dirPrefix));
  }

  /** Starts one on a free port; its working directory is a temporary one named from `dirPrefix`. */
  static async start(dirPrefix = 'gw-redis-'): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), dirPrefix);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the server (again) and resolves once it answers PING. */
  async start(timeoutMs = 10_000): Promise<void> {
    if (this.running) return;
    const child = track(
      spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', this.dir], {
        cwd: this.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    this.child = child;
    this.tail = new Tail(child);
    const deadline = Date.now() + timeoutMs;
    while (!(await redisPing(this.port))) {
      if (!this.running) throw new Error(`redis-server on ${this.port} exited at start:\n${this.tail}`);
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not answer within ${timeoutMs} ms:\n${this.tail}`);
      await sleep(50);
    }
  }

  /** Stops the server with `signal` and waits until it is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit | null> {
    if (this.child === null) return null;
    return stopChild(this.child, signal, 5_000);
  }

  /** Stops it for good and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  output(): string {
    return String(this.tail ?? '');
  }
}

// ---------------------------------------------------------------- gateway processes

/** One `node dist/src/main.js` started from an environment. */
export class GatewayChild {
  private readonly tail: Tail;

  protected constructor(
    readonly name: string,
    readonly port: number,
    readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    this.tail = new Tail(child);
  }

  /**
   * Starts one gateway with `env` (PORT and HOST are chosen here) and resolves once /readyz answers. The
   * working directory is an empty one of its own (named from `dirPrefix`), so no `.env` or data directory of
   * the tree applies.
   */
  static start(name: string, env: Record<string, string>, timeoutMs = 30_000, dirPrefix = 'gw-process-'): Promise<GatewayChild> {
    return GatewayChild.launch(env, timeoutMs, dirPrefix, (port, child, dir) => new GatewayChild(name, port, child, dir));
  }

  /** What `start` does, making the object with `make` (a subclass's constructor). */
  protected static async launch<G extends GatewayChild>(
    env: Record<string, string>,
    timeoutMs: number,
    dirPrefix: string,
    make: (port: number, child: ChildProcess, dir: string) => G,
  ): Promise<G> {
    for (let tries = 1; ; tries += 1) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), dirPrefix));
      const child = track(
        spawn(process.execPath, [GATEWAY_MAIN], {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      const gateway = make(port, child, dir);
      try {
        await gateway.waitReady(timeoutMs);
        return gateway;
      } catch (error) {
        await gateway.kill('SIGKILL');
        // Another process took the port between the probe and the listen: try another one.
        if (tries < 3 && /EADDRINUSE/.test(gateway.output())) continue;
        throw error;
      }
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How it exited, or null while it runs. */
  get exit(): Exit | null {
    return this.alive ? null : { code: this.child.exitCode, signal: this.child.signalCode };
  }

  /** The last of what it wrote (its log at the configured level, and anything it printed when failing). */
  output(): string {
    return String(this.tail);
  }

  /** GET /readyz: the status, or null when nothing answers. */
  async readyz(): Promise<number | null> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return null;
    }
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.alive) throw new Error(`gateway ${this.name} exited (${JSON.stringify(this.exit)}) before it was ready:\n${this.output()}`);
      if ((await this.readyz()) === 200) return;
      if (Date.now() > deadline) throw new Error(`gateway ${this.name} was not ready within ${timeoutMs} ms:\n${this.output()}`);
      await sleep(100);
    }
  }

  /** Sends `signal` (SIGKILL: no shutdown at all) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    const exit = await stopChild(this.child, signal, 10_000);
    rmSync(this.dir, { recursive: true, force: true });
    return exit;
  }
}
