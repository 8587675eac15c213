import { LiveCollection, type CollectionSource, type Node } from '../../web/dashboard/collection';

// The collection hands changes to its view once per animation frame: Node has none, so a frame is a timer.
(globalThis as unknown as { requestAnimationFrame(callback: () => void): number }).requestAnimationFrame = (callback) =>
  setTimeout(callback, 16) as unknown as number;

interface Live {
  id: string;
  seq: number;
}
type Item = Node<Live>;

function item(id: string, seq: number, name = id): Item {
  return { id, name, live: { id, seq } };
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A source whose full reads wait until the test answers them, and whose reads by id answer from `world`. */
class FakeSource implements CollectionSource<Item, Live> {
  readonly world = new Map<string, Item>();
  readonly someCalls: string[][] = [];
  private fullReads: Array<{ promise: Promise<Item[]>; resolve(value: Item[]): void }> = [];
  idOf = (live: Live) => live.id;
  seqOf = (live: Live) => live.seq;
  fetchAll(): Promise<Item[]> {
    const read = deferred<Item[]>();
    this.fullReads.push(read);
    return read.promise;
  }
  async fetchSome(ids: string[]): Promise<Map<string, Item | null>> {
    this.someCalls.push(ids);
    return new Map(ids.map((id) => [id, this.world.get(id) ?? null]));
  }
  /** Answers the oldest full read with these items. */
  answerFullRead(items: Item[]): void {
    this.fullReads.shift()!.resolve(items);
  }
}

function setUp() {
  const source = new FakeSource();
  const rendered: string[] = [];
  const removed: string[] = [];
  const failures: unknown[] = [];
  const collection = new LiveCollection<Item, Live>(
    source,
    { render: (changed, gone) => {
      rendered.push(...changed.map((n) => n.id));
      removed.push(...gone);
    } },
    (error) => failures.push(error),
  );
  return { source, collection, rendered, removed, failures };
}

describe("the dashboard's live collection", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reads by id a resource whose update arrived while the full read ran but which the read did not return, and shows it', async () => {
    const { source, collection, rendered, failures } = setUp();
    const loading = collection.load();
    // Created while the full read runs: its update comes before the read's answer, which predates it.
    collection.event({ id: 'new', seq: 1 });
    source.world.set('new', item('new', 1, 'New partner'));
    source.answerFullRead([item('old', 4)]);
    await loading;
    await jest.advanceTimersByTimeAsync(500);
    expect(source.someCalls).toEqual([['new']]);
    expect([...collection.nodes.keys()].sort()).toEqual(['new', 'old']);
    expect(collection.nodes.get('new')?.name).toBe('New partner');
    expect(rendered).toContain('new');
    expect(failures).toEqual([]);
  });

  it('keeps the newer live state of an update that arrived during the full read once the resource is read by id', async () => {
    const { source, collection } = setUp();
    const loading = collection.load();
    collection.event({ id: 'new', seq: 3 });
    source.world.set('new', item('new', 2));
    source.answerFullRead([]);
    await loading;
    await jest.advanceTimersByTimeAsync(500);
    expect(collection.nodes.get('new')?.live.seq).toBe(3);
  });

  it('does not drop a resource first read by id after a full read began, though that read did not return it', async () => {
    const { source, collection, removed } = setUp();
    const first = collection.load();
    source.answerFullRead([item('old', 1)]);
    await first;
    // An update of a resource created since: it is read by id, and a full read (e.g. a reconnect) starts meanwhile.
    collection.event({ id: 'created', seq: 1 });
    source.world.set('created', item('created', 1));
    const second = collection.load();
    await jest.advanceTimersByTimeAsync(500);
    expect(collection.nodes.has('created')).toBe(true);
    source.answerFullRead([item('old', 1)]);
    await second;
    await jest.advanceTimersByTimeAsync(500);
    expect(collection.nodes.has('created')).toBe(true);
    expect(removed).not.toContain('created');
  });

  it('removes a resource known before a full read that the read no longer returns, and forgets an update of one a read by id finds gone', async () => {
    const { source, collection, removed } = setUp();
    const first = collection.load();
    source.answerFullRead([item('a', 1), item('b', 1)]);
    await first;
    await jest.advanceTimersByTimeAsync(50);
    const second = collection.load();
    collection.event({ id: 'ghost', seq: 1 }); // not visible to this user: the read by id answers null
    source.answerFullRead([item('a', 1)]);
    await second;
    await jest.advanceTimersByTimeAsync(500);
    expect([...collection.nodes.keys()]).toEqual(['a']);
    expect(removed).toEqual(['b']);
    expect(source.someCalls).toEqual([['ghost']]);
    // Nothing is left waiting: a later full read does not read it again.
    const third = collection.load();
    source.answerFullRead([item('a', 1)]);
    await third;
    await jest.advanceTimersByTimeAsync(500);
    expect(source.someCalls).toEqual([['ghost']]);
  });
});
