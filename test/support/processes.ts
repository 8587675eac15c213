import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Gateway } from '../../src/gateway';
import { GatewayChild, killAllChildren, sleep, track } from './child-processes';
import { graphqlOver, type TestGateway } from './test-gateway';

export { freePort, GATEWAY_MAIN, PrivateRedis, redisServerInstalled, type Exit } from './child-processes';

/**
 * Real processes for the suites that need them: the built gateway (`node dist/src/main.js`) started from its
 * environment, and a private redis-server that a test may stop and start again without touching the Redis
 * other suites share (both in `./child-processes.ts`, which the fault-injection run uses too). Every child is
 * killed when the test process exits, whatever happened.
 */

const ROOT = resolve(__dirname, '..', '..');

process.once('exit', killAllChildren);


// ---------------------------------------------------------------- the build

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((res, rej) => {
    const child = track(spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) res(output);
      else rej(new Error(`${[command, ...args].join(' ')} failed (${signal ?? code}):\n${output.slice(-4000)}`));
    });
  });
}

/**
 * Builds the gateway exactly as `npm run build` does (scripts/build.cjs: tsc only when an input changed, the
 * Lua scripts, the dashboard; workers building at once take turns). Returns whether tsc ran.
 */
export async function ensureBuilt(timeoutMs = 240_000): Promise<boolean> {
  const output = await run(process.execPath, [join(ROOT, 'scripts', 'build.cjs')], timeoutMs);
  return output.includes('build: compiled in');
}

// ---------------------------------------------------------------- gateway processes

/** One `node dist/src/main.js` started from an environment, and an HTTP client of it. */
export class GatewayProcess extends GatewayChild {
  /** GraphQL over HTTP to this process, for the shared fixtures. */
  readonly client: TestGateway;

  private constructor(name: string, port: number, child: ChildProcess, dir: string, databaseUrl: string) {
    super(name, port, child, dir);
    this.client = httpClient(this.url, databaseUrl);
  }

  /**
   * Starts one gateway with `env` (PORT and HOST are chosen here) and resolves once /readyz answers. The
   * working directory is an empty one of its own, so no `.env` or data directory of the tree applies.
   */
  static override start(name: string, env: Record<string, string>, timeoutMs = 30_000): Promise<GatewayProcess> {
    return GatewayChild.launch(env, timeoutMs, 'gw-process-', (port, child, dir) => new GatewayProcess(name, port, child, dir, env.DATABASE_URL ?? ''));
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
