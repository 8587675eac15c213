import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Gateway } from '../../src/gateway';
import { graphqlOver, type TestGateway } from './test-gateway';

/**
 * Real processes for the suites that need them: the built gateway (`node dist/src/main.js`) started from its
 * environment, and a private redis-server that a test may stop and start again without touching the Redis
 * other suites share. Every child is killed when the test process exits, whatever happened.
 */

const ROOT = resolve(__dirname, '..', '..');
/** The built gateway's entry point, as `npm start` runs it. */
export const GATEWAY_MAIN = join(ROOT, 'dist', 'src', 'main.js');

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a `redis-server` binary can be run here. */
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

// ---------------------------------------------------------------- the build

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Whether dist/ holds every file of src/ compiled no earlier than its source, and the same Lua scripts. */
function buildIsCurrent(): boolean {
  for (const file of filesUnder(join(ROOT, 'src'))) {
    const rel = relative(ROOT, file);
    if (file.endsWith('.ts')) {
      const out = join(ROOT, 'dist', rel.replace(/\.ts$/, '.js'));
      if (!existsSync(out) || statSync(out).mtimeMs < statSync(file).mtimeMs) return false;
    } else if (file.endsWith('.lua')) {
      const out = join(ROOT, 'dist', rel);
      if (!existsSync(out) || !readFileSync(out).equals(readFileSync(file))) return false;
    }
  }
  return true;
}

function run(command: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((res, rej) => {
    const child = track(spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) res();
      else rej(new Error(`${[command, ...args].join(' ')} failed (${signal ?? code}):\n${output.slice(-4000)}`));
    });
  });
}

/**
 * Builds the gateway as `npm run build` does (tsc, then the Lua scripts beside the compiled store), unless
 * dist/ is already current. Returns whether it built.
 */
export async function ensureBuilt(timeoutMs = 240_000): Promise<boolean> {
  if (buildIsCurrent()) return false;
  await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], timeoutMs);
  cpSync(join(ROOT, 'src', 'store', 'lua'), join(ROOT, 'dist', 'src', 'store', 'lua'), { recursive: true });
  return true;
}

// ---------------------------------------------------------------- output of children

/** Keeps the last `limit` characters a child wrote (stdout and stderr), so a failure can show them. */
class Tail {
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
 * A redis-server of one suite, in the foreground, on its own port, without persistence: stopping and
 * starting it again gives an empty Redis on the same address.
 */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private tail: Tail | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'gw-redis-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
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

/** One `node dist/src/main.js` started from an environment, and an HTTP client of it. */
export class GatewayProcess {
  private readonly tail: Tail;
  /** GraphQL over HTTP to this process, for the shared fixtures. */
  readonly client: TestGateway;

  private constructor(
    readonly name: string,
    readonly port: number,
    readonly child: ChildProcess,
    private readonly dir: string,
    databaseUrl: string,
  ) {
    this.tail = new Tail(child);
    this.client = httpClient(this.url, databaseUrl);
  }

  /**
   * Starts one gateway with `env` (PORT and HOST are chosen here) and resolves once /readyz answers. The
   * working directory is an empty one of its own, so no `.env` or data directory of the tree applies.
   */
  static async start(name: string, env: Record<string, string>, timeoutMs = 30_000): Promise<GatewayProcess> {
    for (let tries = 1; ; tries += 1) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'gw-process-'));
      const child = track(
        spawn(process.execPath, [GATEWAY_MAIN], {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      const gateway = new GatewayProcess(name, port, child, dir, env.DATABASE_URL ?? '');
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

/**
 * A TestGateway for a gateway in another process: GraphQL over HTTP (each request bounded by `timeoutMs`),
 * so the shared fixtures (RoutingWorld, Connector, provisionCompany) work against it. There is no in-process
 * Gateway object: reading `gateway` throws.
 */
export function httpClient(url: string, databaseUrl: string, timeoutMs = 10_000): TestGateway {
  return {
    get gateway(): Gateway {
      throw new Error(`the gateway at ${url} runs in another process`);
    },
    url,
    databaseUrl,
    ...graphqlOver(url, timeoutMs),
    close: async () => undefined,
  };
}

// ---------------------------------------------------------------- subscriptions that report how they end

/**
 * One graphql-ws subscription that keeps what it received and also how it ended: completed by the server,
 * failed with errors, or its socket closed (with the code). Nothing reconnects by itself; a test that wants
 * to resume opens another.
 */
export class WatchedSubscription<T> {
  readonly events: T[] = [];
  readonly errors: unknown[] = [];
  /** Why it ended ('complete', 'error: ...', 'socket closed <code>'), or null while it runs. */
  ended: string | null = null;
  private client: Client | null = null;

  private constructor(
    readonly url: string,
    private readonly token: string,
    private readonly query: string,
    private readonly field: string,
    private readonly variables: Record<string, unknown>,
  ) {}

  /** Subscribes and resolves once the socket was acknowledged and the subscription had a moment to register. */
  static async open<T>(url: string, token: string, query: string, field: string, variables: Record<string, unknown> = {}): Promise<WatchedSubscription<T>> {
    const s = new WatchedSubscription<T>(url, token, query, field, variables);
    await s.connect();
    return s;
  }

  private async connect(): Promise<void> {
    const client = createClient({
      url: this.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.token}` },
      retryAttempts: 0,
      lazy: false,
      // How the socket ended is recorded below; graphql-ws would print it to the console as well.
      onNonLazyError: () => undefined,
    });
    this.client = client;
    await new Promise<void>((res, rej) => {
      const off = client.on('connected', () => {
        off();
        res();
      });
      client.on('closed', (event) => {
        const code = (event as { code?: number }).code;
        this.ended ??= `socket closed ${code}`;
        rej(new Error(`socket closed ${code}`));
      });
    });
    client.subscribe<Record<string, T>>(
      { query: this.query, variables: this.variables },
      {
        next: (msg) => {
          if (msg.data) this.events.push(msg.data[this.field] as T);
          if (msg.errors) this.errors.push(...msg.errors);
        },
        error: (e) => {
          this.errors.push(e);
          const code = (e as { code?: number } | null)?.code;
          this.ended ??= code !== undefined ? `socket closed ${code}` : `error: ${JSON.stringify(e)}`;
        },
        complete: () => {
          this.ended ??= 'complete';
        },
      },
    );
    await sleep(150);
  }

  /** Waits until `count` received events match; returns them. */
  async waitFor(match: (event: T) => boolean, count = 1, timeoutMs = 8_000): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.filter(match);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        throw new Error(`expected ${count} matching events, got ${found.length} (ended: ${this.ended}); last events ${JSON.stringify(this.events.slice(-5))}; errors ${JSON.stringify(this.errors)}`);
      }
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    await this.client?.dispose();
  }
}
