import type { Logger } from 'pino';
import { loggableError } from '../errors';
import type { Scheduler } from '../platform/scheduler';
import type { AuthorityVersionStore } from '../store/authority-version-store';
import { CompanyModel } from './company-model';
import type { ModelChangeEvent } from '../routing/vocabulary';
import type { ModelLoader } from './model-loader';

/** How often an instance compares the versions of what it holds with the companies' authority versions. */
export const VERSION_CHECK_MS = 1_000;
/** Every this many checks the system of record is read too, even for companies whose copy answered. */
export const RECORD_CHECK_EVERY = 10;
/** How long a check waits for the copies (Redis) before it reads the system of record instead. */
export const COPIES_WAIT_MS = 250;

export interface LiveModelsOptions {
  scheduler: Scheduler;
  logger: Logger;
  checkMs?: number;
  recordCheckEvery?: number;
}

/** One company as this instance holds it. */
interface Entry {
  readonly companyId: string;
  /** null while it is (re)loaded, or after a load failed. */
  model: CompanyModel | null;
  /** Changes and loads run one after another, in arrival order. */
  chain: Promise<void>;
  /** Steps queued on the chain and not finished: reads wait for them. */
  pending: number;
  /** The error of the last load, given to the reads that waited for it. */
  failure: unknown;
}

/**
 * The companies this instance holds in memory (authority and configuration), fed by committed changes and
 * checked against each company's authority version, so a missed change can delay what the instance
 * believes but never extend it:
 *
 * - a company is read whole from the system of record the first time it is needed;
 * - each committed change (`receive`) re-reads the rows it names, in order; a change whose version does not
 *   follow the held one (one was missed) makes the instance read the company whole again;
 * - every `checkMs` (and at once when the event bus reconnects) the versions of every held company are read
 *   from their copies (the live-state store) and, every `recordCheckEvery` checks or when a copy is missing,
 *   from the system of record; a company whose version moved past the held one is dropped and read again.
 *
 * While a change or a load is in progress, reads of that company wait for it: what is held is never used
 * once the instance knows it is out of date. Listeners hear of every company whose model changed.
 */
export class LiveModels {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(companyId: string) => void>();
  /** The company of every connector key of the companies held (a key never changes company). */
  private readonly keyCompanies = new Map<string, string>();
  private readonly checkMs: number;
  private readonly recordCheckEvery: number;
  private stopTimer: (() => void) | null = null;
  private checking: Promise<void> | null = null;
  private checks = 0;

  constructor(
    private readonly loader: Pick<ModelLoader, 'all' | 'changed' | 'versions'>,
    private readonly versions: AuthorityVersionStore,
    private readonly options: LiveModelsOptions,
  ) {
    this.checkMs = options.checkMs ?? VERSION_CHECK_MS;
    this.recordCheckEvery = options.recordCheckEvery ?? RECORD_CHECK_EVERY;
  }

  /** Starts the periodic version checks. */
  start(): void {
    this.stopTimer ??= this.options.scheduler.every(this.checkMs, () => void this.check());
  }

  /** Stops them, and waits for a check in progress. */
  async stop(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = null;
    await this.checking;
  }

  /** The company as held, when it is current and nothing is pending (the fast path of every request). */
  peek(companyId: string): CompanyModel | undefined {
    const entry = this.entries.get(companyId);
    return entry !== undefined && entry.pending === 0 && entry.model !== null ? entry.model : undefined;
  }

  /** The company, current: read on first use, waiting for any change or load in progress. */
  async get(companyId: string): Promise<CompanyModel> {
    let loaded: Promise<void> | null = null;
    for (;;) {
      let entry = this.entries.get(companyId);
      if (entry === undefined) {
        entry = { companyId, model: null, chain: Promise.resolve(), pending: 0, failure: undefined };
        this.entries.set(companyId, entry);
      }
      if (entry.pending === 0 && entry.model !== null) return entry.model;
      if (entry.pending === 0) {
        // Not held (first use, or the last load failed): read it, and give that load's failure to this read.
        if (loaded !== null) await loaded;
        loaded = this.enqueue(entry, () => this.reload(entry!));
        loaded.catch(() => undefined);
      }
      await entry.chain;
    }
  }

  /** The company of a connector key of a company held here (undefined: not known here). */
  companyOfKey(keyId: string): string | undefined {
    return this.keyCompanies.get(keyId);
  }

  /** Whether this instance holds the company (changes of companies it does not hold are not needed). */
  holds(companyId: string): boolean {
    return this.entries.has(companyId);
  }

  /** Applies a committed change; resolves once the held model has it (at once when the company is not held). */
  receive(event: ModelChangeEvent): Promise<void> {
    const entry = this.entries.get(event.companyId);
    if (entry === undefined) return Promise.resolve();
    return this.enqueue(entry, async () => {
      const model = entry.model;
      if (model !== null && event.version <= model.version) return;
      if (model !== null && event.version === model.version + 1) {
        const rows = await this.loader.changed(event.companyId, event.changes);
        model.apply(rows, event.version);
        this.notify(event.companyId);
        return;
      }
      // A change was missed (or nothing is held): read the company whole.
      await this.reload(entry);
    });
  }

  /** Hears of every company whose held model changed (after the change is in place). */
  onChanged(listener: (companyId: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Compares every held company's version with its authority version (copies, and the system of record when
   * a copy is missing or every few checks) and reads again those that moved. One check at a time.
   */
  check(): Promise<void> {
    return (this.checking ??= this.runCheck().finally(() => {
      this.checking = null;
    }));
  }

  private async runCheck(): Promise<void> {
    // A company whose change or load failed is read again at each check until it is held again.
    for (const entry of this.entries.values()) {
      if (entry.model === null && entry.pending === 0 && entry.failure !== undefined) this.enqueue(entry, () => this.reload(entry)).catch(() => undefined);
    }
    const held = [...this.entries.values()].filter((e) => e.model !== null);
    if (held.length === 0) return;
    const ids = held.map((e) => e.companyId);
    this.checks += 1;
    try {
      let observed = new Map<string, number>();
      try {
        // Redis unreachable makes a command wait for its reconnection: then the system of record answers.
        observed = await within(this.versions.get(ids), COPIES_WAIT_MS);
      } catch (err) {
        this.options.logger.warn({ err: loggableError(err) }, 'authority versions: the copies could not be read; reading the system of record');
      }
      const fromRecord = this.checks % this.recordCheckEvery === 0 ? ids : ids.filter((id) => !observed.has(id));
      if (fromRecord.length > 0) {
        const recorded = await this.loader.versions(fromRecord);
        for (const id of fromRecord) {
          // A company gone from the system of record moves past anything held.
          const version = recorded.get(id) ?? Number.MAX_SAFE_INTEGER;
          observed.set(id, Math.max(observed.get(id) ?? -1, version));
          if (recorded.has(id)) this.versions.raise(id, version).catch(() => undefined);
        }
      }
      for (const entry of held) {
        const version = observed.get(entry.companyId);
        if (version === undefined || entry.model === null || version <= entry.model.version) continue;
        if (version === Number.MAX_SAFE_INTEGER && entry.model.company === null) continue;
        this.enqueue(entry, async () => {
          if (entry.model !== null && version <= entry.model.version) return;
          if (version === Number.MAX_SAFE_INTEGER && entry.model?.company === null) return;
          this.options.logger.info({ companyId: entry.companyId, held: entry.model?.version, version }, 'authority version moved without its change arriving: reading the company again');
          await this.reload(entry);
        }).catch(() => undefined);
      }
    } catch (err) {
      this.options.logger.warn({ err: loggableError(err) }, 'authority version check failed');
    }
  }

  /** Drops what is held of the company and reads it whole. */
  private async reload(entry: Entry): Promise<void> {
    entry.model = null;
    try {
      const { version, rows } = await this.loader.all(entry.companyId);
      const model = new CompanyModel(entry.companyId, version);
      model.apply(rows, version);
      entry.model = model;
      entry.failure = undefined;
    } catch (err) {
      entry.failure = err;
      this.options.logger.warn({ err: loggableError(err), companyId: entry.companyId }, 'reading a company into memory failed');
      throw err;
    }
    this.notify(entry.companyId);
  }

  private enqueue(entry: Entry, step: () => Promise<void>): Promise<void> {
    entry.pending += 1;
    const run = entry.chain.then(step).finally(() => {
      entry.pending -= 1;
    });
    // The chain goes on after a failed step; the step's own promise carries its failure.
    entry.chain = run.catch((err: unknown) => {
      // A change that could not be applied leaves the model unknown: drop it. Listeners hear of it (a socket
      // asks again what it may do, and is closed if that cannot be read now); the next read or check reloads.
      entry.model = null;
      entry.failure = err;
      this.notify(entry.companyId);
    });
    return run;
  }

  /** Hears of the company's change (or loss of what was held). */
  private notify(companyId: string): void {
    const model = this.entries.get(companyId)?.model;
    if (model) for (const keyId of model.keys.keys()) this.keyCompanies.set(keyId, companyId);
    for (const listener of this.listeners) {
      try {
        listener(companyId);
      } catch (err) {
        this.options.logger.error({ err: loggableError(err), companyId }, 'a listener of model changes failed');
      }
    }
  }
}

/** A promise that fails when `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  promise.catch(() => undefined);
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
