import { onNextFrame, metrics } from './frame';
import { SeqTracker } from './seq';

export interface Node<L> {
  id: string;
  name: string;
  live: L;
}

/** How one kind of resource is read and identified. */
export interface CollectionSource<N extends Node<L>, L> {
  idOf(live: L): string;
  seqOf(live: L): number;
  /** Every resource of the kind the user may see. */
  fetchAll(): Promise<N[]>;
  /** Some resources by id: null for one that is gone or no longer visible. */
  fetchSome(ids: string[]): Promise<Map<string, N | null>>;
}

/** Where a collection's changes go, at most once per frame. */
export interface CollectionView<N> {
  render(changed: N[], removed: string[]): void;
}

/** How soon ids to re-read are read (several gaps in a burst make one request). */
const REREAD_DELAY_MS = 150;
/** More ids than this to re-read at once: read everything instead. */
const REREAD_ALL_ABOVE = 50;

/**
 * The dashboard's copy of one kind of resource (destinations, queues or agents): full reads, live updates
 * ordered by `seq`, re-reads after gaps, and changes handed to the view once per frame, keyed by id.
 */
export class LiveCollection<N extends Node<L>, L> {
  readonly nodes = new Map<string, N>();
  private readonly tracker = new SeqTracker();
  /**
   * The newest update of each resource not read yet (new, or arriving while a full read runs): taken when
   * its read comes; those a full read did not return are read by id after it.
   */
  private readonly early = new Map<string, L>();
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  /** Ids to re-read, and whether their read must be taken even if its `seq` is lower (counter restarted). */
  private readonly rereads = new Map<string, boolean>();
  private rereadTimer: ReturnType<typeof setTimeout> | undefined;
  private loading: Promise<void> | null = null;
  private loadAgain: 'no' | 'yes' | 'force' = 'no';
  private stopped = false;
  private readonly flush = () => this.flushToView();

  constructor(
    private readonly source: CollectionSource<N, L>,
    private readonly view: CollectionView<N>,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** A live update from the subscription. */
  event(live: L): void {
    if (this.stopped) return;
    metrics.events += 1;
    const id = this.source.idOf(live);
    const seq = this.source.seqOf(live);
    switch (this.tracker.onEvent(id, seq)) {
      case 'apply':
        this.setLive(id, live);
        break;
      case 'gap':
        // The payload is the whole live state, so it is shown at once; the re-read confirms nothing else was missed.
        this.setLive(id, live);
        this.reread(id, false);
        break;
      case 'unknown': {
        const held = this.early.get(id);
        if (held === undefined || this.source.seqOf(held) < seq) this.early.set(id, live);
        if (this.loading === null) this.reread(id, false);
        break;
      }
      case 'reread':
        this.reread(id, true);
        break;
      case 'reset':
        void this.load(true);
        break;
      case 'stale':
        break;
    }
  }

  /**
   * Reads everything again (at start, after a reconnect, when counters restarted). A read asked for while
   * one runs makes one more afterwards. `force` takes every state read even if its `seq` is lower.
   */
  load(force = false): Promise<void> {
    if (this.loading !== null) {
      if (force) this.loadAgain = 'force';
      else if (this.loadAgain === 'no') this.loadAgain = 'yes';
      return this.loading;
    }
    const run = async (forceRun: boolean): Promise<void> => {
      try {
        // Only resources known before the read began may be missing from it because they are gone: one first
        // read after it began (e.g. created meanwhile and read by id) is newer than the read's snapshot.
        const before = new Set(this.nodes.keys());
        const all = await this.source.fetchAll();
        if (this.stopped) return;
        const seen = new Set<string>();
        for (const node of all) {
          seen.add(node.id);
          this.take(node, forceRun);
        }
        for (const id of before) if (!seen.has(id)) this.drop(id);
        // Updates of resources the read did not return (e.g. created while it ran): read them by id, which
        // shows them or finds them gone or not visible.
        for (const id of this.early.keys()) this.reread(id, false);
      } catch (error) {
        this.failed(error);
      }
      const again = this.loadAgain;
      this.loadAgain = 'no';
      if (again !== 'no' && !this.stopped) await run(again === 'force');
    };
    this.loading = run(force).finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** A state read with a query (e.g. returned by a mutation). */
  applyRead(node: N): void {
    this.take(node, false);
  }

  /** Changes a resource's non-live fields (e.g. today's figures) and shows it. */
  patch(id: string, change: (node: N) => N): void {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    this.nodes.set(id, change(node));
    this.markDirty(id);
  }

  /** Reads one resource again soon (batched with others). */
  reread(id: string, force: boolean): void {
    this.rereads.set(id, force || (this.rereads.get(id) ?? false));
    if (this.rereadTimer === undefined) this.rereadTimer = setTimeout(() => void this.runRereads(), REREAD_DELAY_MS);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.rereadTimer);
  }

  private async runRereads(): Promise<void> {
    this.rereadTimer = undefined;
    if (this.stopped) return;
    const wanted = new Map(this.rereads);
    this.rereads.clear();
    if (wanted.size > REREAD_ALL_ABOVE) {
      await this.load([...wanted.values()].some(Boolean));
      return;
    }
    try {
      const found = await this.source.fetchSome([...wanted.keys()]);
      if (this.stopped) return;
      for (const [id, node] of found) {
        if (node === null) {
          this.early.delete(id);
          this.drop(id);
        } else this.take(node, wanted.get(id) ?? false);
      }
    } catch (error) {
      this.failed(error);
    }
  }

  private take(node: N, force: boolean): void {
    const { id } = node;
    const current = this.nodes.get(id);
    if (this.tracker.onRead(id, this.source.seqOf(node.live), force) || current === undefined) this.nodes.set(id, node);
    // An update newer than this read already arrived: keep its live state, take the rest (name, figures).
    else this.nodes.set(id, { ...node, live: current.live });
    const early = this.early.get(id);
    if (early !== undefined) {
      this.early.delete(id);
      const verdict = this.tracker.onEvent(id, this.source.seqOf(early));
      if (verdict === 'apply' || verdict === 'gap') this.nodes.set(id, { ...this.nodes.get(id)!, live: early });
    }
    this.removed.delete(id);
    this.markDirty(id);
  }

  private setLive(id: string, live: L): void {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    this.nodes.set(id, { ...node, live });
    this.markDirty(id);
  }

  private drop(id: string): void {
    if (!this.nodes.delete(id)) return;
    this.tracker.forget(id);
    this.dirty.delete(id);
    this.removed.add(id);
    onNextFrame(this.flush);
  }

  private markDirty(id: string): void {
    this.dirty.add(id);
    onNextFrame(this.flush);
  }

  private flushToView(): void {
    if (this.stopped) return;
    const changed: N[] = [];
    for (const id of this.dirty) {
      const node = this.nodes.get(id);
      if (node !== undefined) changed.push(node);
    }
    const removed = [...this.removed];
    this.dirty.clear();
    this.removed.clear();
    if (changed.length > 0 || removed.length > 0) this.view.render(changed, removed);
  }
}
