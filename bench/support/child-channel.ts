import type { ChildProcess } from 'node:child_process';

/** What every child of a bench may answer instead of what was asked: it failed, and why. */
export interface Failed {
  kind: 'failed';
  message: string;
}

/**
 * A bench's child process spoken to over IPC: messages arrive in order and are taken one at a time, either
 * as the answer to a question (`ask`) or as they come (`next`). A child that exits, or answers `failed`,
 * fails the wait.
 */
export class ChildChannel<To extends object, From extends { kind: string }> {
  private readonly inbox: Array<From | Failed> = [];
  private waiter: ((m: From | Failed) => void) | null = null;
  private exited: string | null = null;

  constructor(private readonly child: ChildProcess, private readonly name: string) {
    child.on('message', (m) => this.deliver(m as From | Failed));
    child.on('exit', (code, signal) => {
      this.exited = `${name} exited (${code ?? signal})`;
      this.deliver({ kind: 'failed', message: this.exited });
    });
  }

  private deliver(m: From | Failed): void {
    const waiter = this.waiter;
    this.waiter = null;
    if (waiter) waiter(m);
    else this.inbox.push(m);
  }

  /** The next message, or null after `timeoutMs`; a `failed` message throws. */
  async next(timeoutMs: number): Promise<From | null> {
    const m =
      this.inbox.shift() ??
      (await new Promise<From | Failed | null>((resolve) => {
        const timer = setTimeout(() => {
          this.waiter = null;
          resolve(null);
        }, timeoutMs);
        this.waiter = (got) => {
          clearTimeout(timer);
          resolve(got);
        };
      }));
    if (m !== null && m.kind === 'failed') throw new Error(`${this.name}: ${(m as Failed).message}`);
    return m as From | null;
  }

  /** Sends `message` and waits for the answer of kind `kind`. */
  async ask<K extends From['kind']>(message: To, kind: K, timeoutMs: number): Promise<Extract<From, { kind: K }>> {
    if (this.exited) throw new Error(this.exited);
    this.child.send(message);
    const m = await this.next(timeoutMs);
    if (m === null) throw new Error(`${this.name}: no answer within ${timeoutMs} ms`);
    if (m.kind !== kind) throw new Error(`${this.name}: expected ${kind}, got ${m.kind}`);
    return m as Extract<From, { kind: K }>;
  }

  /** Disconnects the child and waits for it to exit. */
  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}
