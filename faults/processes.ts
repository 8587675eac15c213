import { GatewayChild } from '../test/support/child-processes';

/**
 * The gateway instances of the fault-injection run: `node dist/src/main.js`, configured from the environment as
 * in production, killed and started again under the same name. The processes themselves (and the run's own
 * redis-server) come from `test/support/child-processes.ts`, shared with the process suites; every child is
 * tracked there and killed when the run ends, however it ends.
 */

/** One gateway instance: a process started from an environment, on a port chosen at each start. */
export class GatewayInstance {
  private current: GatewayChild | null = null;

  constructor(readonly name: string, private readonly env: Record<string, string>) {}

  get port(): number {
    return this.current?.port ?? 0;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/graphql`;
  }

  get alive(): boolean {
    return this.current?.alive ?? false;
  }

  /** The last of what it wrote. */
  log(): string {
    return this.current?.output() ?? '';
  }

  /** Starts it and resolves once /readyz answers 200. */
  async start(timeoutMs = 60_000): Promise<void> {
    this.current = await GatewayChild.start(this.name, this.env, timeoutMs, 'faults-gateway-');
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.current?.kill(signal);
  }
}
