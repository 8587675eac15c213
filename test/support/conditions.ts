/*
 * What integration tests wait for: a condition, with a deadline, never a fixed pause. That something did not
 * happen is shown by a later, ordered event that had to come after it (then nothing unexpected came before
 * that marker), or by state read back once the operation returned; never by a quiet period alone.
 */

/** How long to keep looking, how often, and what for. */
export interface UntilOptions {
  /** How long to keep looking: a deadline, not a claim about how fast the condition holds, so generous. */
  timeoutMs?: number;
  /** Pause between checks. */
  everyMs?: number;
  /** The condition waited for (or a function answering it, read when the wait fails, e.g. to show the last value seen). */
  what?: string | (() => string);
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function textOf(what: UntilOptions['what']): string {
  return (typeof what === 'function' ? what() : what) ?? '';
}

function suffix(what: UntilOptions['what']): string {
  const text = textOf(what);
  return text ? `: ${text}` : '';
}

/** Checks until `check` answers something truthy, and answers that; fails once the deadline has passed. */
export async function until<T>(check: () => T | null | undefined | false | Promise<T | null | undefined | false>, options: UntilOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs / 1000} s${suffix(options.what)}`);
    await pause(options.everyMs ?? 20);
  }
}

/** The events of a subscription once `done` holds for them (all the events received by then). */
export async function eventsUntil<T>(subscription: { readonly events: readonly T[] }, done: (events: readonly T[]) => boolean, options: UntilOptions = {}): Promise<T[]> {
  return until(() => (done(subscription.events) ? [...subscription.events] : null), {
    ...options,
    what: () => `${textOf(options.what) || 'events'}; the last of ${subscription.events.length} received: ${JSON.stringify(subscription.events.slice(-5))}`,
  });
}

/**
 * Makes a change again and again until it was heard. The server registers a graphql-ws subscription at its
 * own pace (the protocol does not acknowledge a subscribe), so a change it delivers is the proof that it is
 * live. Each change has `everyMs` (default 250) to arrive before the next one is made; answers how many were
 * made. Changes made earlier may still arrive after it returns: a test tells them apart by what they changed.
 */
export async function pokeUntil(poke: (round: number) => Promise<unknown>, heard: () => boolean, options: UntilOptions = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; ; round += 1) {
    await poke(round);
    const answerBy = Math.min(deadline, Date.now() + (options.everyMs ?? 250));
    while (!heard() && Date.now() < answerBy) await pause(10);
    if (heard()) return round + 1;
    if (Date.now() >= deadline) throw new Error(`not heard in ${timeoutMs / 1000} s, after ${round + 1} changes${suffix(options.what)}`);
  }
}

/**
 * The routing clock of a test gateway (GatewayOverrides `routing.clock`): real time, until a test holds it
 * and moves it itself, so time-based routing (back-offs, retry intervals) neither waits for real time nor
 * depends on how fast the machine is. Released, it runs on from where it stood, never backwards.
 */
export class HeldClock {
  private offset = 0;
  private held: number | null = null;

  /** The clock to hand to the gateway. */
  readonly now = (): number => this.held ?? Date.now() + this.offset;

  /** Stops the clock where it stands; answers that instant. */
  hold(): number {
    this.held = this.now();
    return this.held;
  }

  /** Moves the held clock on by `ms`; answers the new instant. */
  advance(ms: number): number {
    if (this.held === null) throw new Error('the clock runs: hold it before moving it');
    this.held += ms;
    return this.held;
  }

  /** Lets the clock run again from where it stands. */
  release(): void {
    if (this.held === null) return;
    this.offset = this.held - Date.now();
    this.held = null;
  }
}
