import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectRedis, type RedisClient, type RedisNode } from '../../src/store/redis-client';
import { freePort, redisServerInstalled } from './child-processes';

export { redisServerInstalled };

/*
 * A local Redis Cluster of three masters (no replicas) for the cluster suites (decision 030). The global setup
 * starts one for the whole run, in the background (a run that needs none does not wait for it), and the global
 * teardown stops it; tests share it with a unique key prefix each, and wait for it with `clusterReady()`.
 */

/** Where the run's cluster is, for the test processes: its nodes (`host:port,...`) and its directory. */
const NODES_ENV = 'TEST_REDIS_CLUSTER_NODES';
const DIR_ENV = 'TEST_REDIS_CLUSTER_DIR';
/** The global under which the setup leaves the run's cluster to the teardown. */
const RUN_CLUSTER = '__gatewayTestRedisCluster';
/** Written into the cluster's directory when it could not be started: what went wrong. */
const FAILED_FILE = 'start-failed.txt';
/** How long the cluster may take to start (it starts beside the first test files, on a busy machine). */
const START_MS = 30_000;

/**
 * The joining of the servers (sh; arguments: a deadline in seconds, then the ports): each must answer PING
 * before the deadline, then redis-cli makes them one cluster of three masters.
 */
const JOIN_SCRIPT = `
deadline=$(( $(date +%s) + $1 )); shift
for port in "$@"; do
  until [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "redis-server on $port did not answer in time"; exit 3; }
    sleep 0.02
  done
done
nodes=""; for port in "$@"; do nodes="$nodes 127.0.0.1:$port"; done
exec redis-cli --cluster create $nodes --cluster-replicas 0 --cluster-yes
`;

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Whether this run has a Redis Cluster (the global setup decides: redis-server is installed). */
export function redisClusterSuitesOn(): boolean {
  return process.env.REDIS_CLUSTER_SUITES === 'on';
}

/** The run's cluster nodes (from the global setup). */
export function testClusterNodes(): RedisNode[] {
  const nodes = process.env[NODES_ENV];
  if (nodes === undefined) throw new Error(`${NODES_ENV} is not set: the global setup starts the test Redis Cluster`);
  return nodes.split(',').map((n) => {
    const [host, port] = n.split(':');
    return { host: host!, port: Number(port) };
  });
}

/**
 * One command to one node on a socket of its own (RESP, by hand: nothing lingers once it is answered or the
 * node is gone); the reply of a simple or bulk string, or null when the node does not answer it within a second.
 */
function ask(port: number, ...command: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    const done = (reply: string | null) => {
      socket.destroy();
      resolve(reply);
    };
    socket.setTimeout(1_000, () => done(null));
    socket.once('error', () => done(null));
    socket.once('connect', () => socket.write(`*${command.length}\r\n${command.map((c) => `$${Buffer.byteLength(c)}\r\n${c}\r\n`).join('')}`));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n');
      if (end < 0) return;
      const head = received.subarray(0, end).toString();
      if (head.startsWith('+')) return done(head.slice(1));
      if (!head.startsWith('$')) return done(null);
      const length = Number(head.slice(1));
      if (length < 0) return done(null);
      if (received.length >= end + 2 + length) done(received.subarray(end + 2, end + 2 + length).toString());
    });
  });
}

/** Whether every node says the cluster is up (all slots served). */
async function clusterOk(ports: readonly number[]): Promise<boolean> {
  const infos = await Promise.all(ports.map((p) => ask(p, 'CLUSTER', 'INFO')));
  return infos.every((info) => info !== null && info.includes('cluster_state:ok'));
}

/** Three redis-server processes in cluster mode, in a temporary directory, on free ports (and free cluster bus ports). */
export class LocalRedisCluster {
  /** The servers, and the shell joining them (redis-cli) while it runs. */
  private readonly children: ChildProcess[] = [];
  private readonly output: string[] = [];
  private stopped = false;

  private constructor(readonly dir: string, readonly ports: readonly number[], private readonly busPorts: readonly number[]) {}

  /** Picks the ports and the directory; `start()` starts it. */
  static async prepare(): Promise<LocalRedisCluster> {
    const ports: number[] = [];
    while (ports.length < 6) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    return new LocalRedisCluster(mkdtempSync(join(tmpdir(), 'gw-redis-cluster-')), ports.slice(0, 3), ports.slice(3));
  }

  get nodes(): RedisNode[] {
    return this.ports.map((port) => ({ host: '127.0.0.1', port }));
  }

  /**
   * Starts the servers and, in a shell of its own, the joining of them: it waits until each answers PING (with a
   * deadline), then runs `redis-cli --cluster create`. Nothing of it runs on this process's event loop, so a
   * busy test process (transpiling its first files) does not hold it up. `failed` hears of a server or the
   * joining ending badly.
   */
  private launch(failed: (why: string) => void): ChildProcess {
    this.ports.forEach((port, i) => {
      const server = spawn('redis-server', [
        '--port', String(port), '--cluster-enabled', 'yes', '--cluster-port', String(this.busPorts[i]),
        '--cluster-config-file', join(this.dir, `nodes-${port}.conf`), '--dir', this.dir,
        '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', '--daemonize', 'no',
      ], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
      this.watch(server, `redis-server ${port}`, failed);
    });
    const joining = spawn('sh', ['-c', JOIN_SCRIPT, 'join', String(Math.ceil(START_MS / 1000)), ...this.ports.map(String)], {
      cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.watch(joining, 'redis-cli --cluster create', failed, true);
    return joining;
  }

  /** Keeps a child's output and reports its end: any end of a server, a failed end of the joining. */
  private watch(child: ChildProcess, name: string, failed: (why: string) => void, mayEnd = false): void {
    this.children.push(child);
    child.stdout!.on('data', (d) => this.keep(`[${name}] ${d}`));
    child.stderr!.on('data', (d) => this.keep(`[${name}] ${d}`));
    child.once('exit', (code, signal) => {
      if (this.stopped || (mayEnd && code === 0)) return;
      failed(`${name} ended (${signal ?? code}):\n${this.tail()}`);
    });
  }

  /** Starts the servers, joins them into a cluster and resolves once every node says cluster_state:ok. */
  async start(timeoutMs = START_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let failure: string | null = null;
    const joining = this.launch((why) => (failure ??= why));
    await new Promise<void>((resolve) => (joining.exitCode !== null || joining.signalCode !== null ? resolve() : joining.once('exit', () => resolve())));
    while (!(await clusterOk(this.ports))) {
      if (failure !== null) throw new Error(failure);
      if (this.stopped) throw new Error('the Redis Cluster was stopped while starting');
      if (Date.now() > deadline) throw new Error(`the Redis Cluster was not up within ${timeoutMs} ms:\n${this.tail()}`);
      await pause(20);
    }
  }

  private keep(line: string): void {
    this.output.push(line);
    if (this.output.length > 200) this.output.shift();
  }

  private tail(): string {
    return this.output.join('').slice(-4000);
  }

  /** Kills the servers at once and removes the directory; synchronous, so an exit handler may call it. */
  stopNow(): void {
    this.stopped = true;
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Kills the servers, waits until they are gone, and removes the directory. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    })));
    rmSync(this.dir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------ the run's cluster (global setup and teardown)

  /**
   * For the global setup: prepares the run's cluster, tells the test processes where it is and starts it without
   * waiting (a failure is written where `clusterReady()` finds it). The teardown stops it (`stopForRun`).
   */
  static async startForRun(): Promise<LocalRedisCluster> {
    const cluster = await LocalRedisCluster.prepare();
    process.env[NODES_ENV] = cluster.ports.map((p) => `127.0.0.1:${p}`).join(',');
    process.env[DIR_ENV] = cluster.dir;
    // Whatever ends the run, no server outlives it.
    process.once('exit', () => cluster.stopNow());
    cluster.launch((why) => writeFileSync(join(cluster.dir, FAILED_FILE), why));
    // The teardown shares only globals with the setup.
    (globalThis as Record<string, unknown>)[RUN_CLUSTER] = cluster;
    return cluster;
  }

  /** For the global teardown: stops the run's cluster, if the setup started one. */
  static async stopForRun(): Promise<void> {
    const cluster = (globalThis as Record<string, unknown>)[RUN_CLUSTER] as LocalRedisCluster | undefined;
    await cluster?.stop();
  }
}

let ready: Promise<void> | null = null;

/** Resolves once the run's cluster is up (once per test file); fails with the reason when it could not start. */
export function clusterReady(): Promise<void> {
  ready ??= (async () => {
    const ports = testClusterNodes().map((n) => n.port);
    const dir = process.env[DIR_ENV] ?? '';
    const deadline = Date.now() + START_MS;
    while (!(await clusterOk(ports))) {
      const failed = join(dir, FAILED_FILE);
      if (existsSync(failed)) throw new Error(`the test Redis Cluster did not start: ${readFileSync(failed, 'utf8')}`);
      if (Date.now() > deadline) throw new Error(`the test Redis Cluster (${ports.join(', ')}) did not say cluster_state:ok within ${START_MS} ms`);
      await pause(50);
    }
  })();
  return ready;
}

/** A connected client of the run's cluster, configured as the gateway configures its live-state connections. */
export async function newClusterClient(name = 'test'): Promise<RedisClient> {
  await clusterReady();
  const client = connectRedis(testClusterNodes(), { name, bounded: true });
  await client.connect();
  return client;
}
