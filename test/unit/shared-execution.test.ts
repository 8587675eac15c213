import { GraphQLInt, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionResult } from 'graphql';
import { LiveFeed, type FeedListener } from '../../src/realtime/live-feed';
import { SubscriptionRunner, type SubscriptionTarget } from '../../src/realtime/shared-execution';

interface Tick {
  seq: number;
  label: string;
}

/** A feed the test drives by hand: `emit` delivers to every listener. */
function handFeed() {
  const listeners = new Set<FeedListener<Tick>>();
  return {
    listeners,
    feed: new LiveFeed<Tick>((listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    }),
    emit: (event: Tick) => listeners.forEach((l) => l.next(event)),
    end: () => listeners.forEach((l) => l.end()),
  };
}

function world() {
  const source = handFeed();
  let executions = 0;
  const Tick = new GraphQLObjectType({ name: 'Tick', fields: { seq: { type: new GraphQLNonNull(GraphQLInt) }, label: { type: GraphQLString } } });
  // Not plain data: one of its fields takes arguments (nested objects of leaves alone would be).
  const Wrapper = new GraphQLObjectType({ name: 'Wrapper', fields: { tick: { type: Tick }, ticks: { type: new GraphQLList(Tick) }, labelled: { type: GraphQLString, args: { as: { type: GraphQLString } } } } });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: {
          type: new GraphQLNonNull(Tick),
          subscribe: () => source.feed,
          resolve: (event: Tick) => {
            executions += 1;
            return event;
          },
        },
        wrapped: { type: Wrapper, subscribe: () => source.feed, resolve: (event: Tick) => ({ tick: event }) },
        plainIterable: {
          type: Tick,
          subscribe: async function* () {
            yield { seq: 1, label: 'one' };
          },
          resolve: (event: Tick) => event,
        },
      },
    }),
  });
  const runner = new SubscriptionRunner(schema, (r: ExecutionResult) => r);
  const subscriber = (id: string, query: string, key: string) => {
    const sent: any[] = [];
    const target: SubscriptionTarget = { id, operationKey: key, send: (data) => sent.push(JSON.parse(data)) };
    const results = runner.subscribe({ schema, document: parse(query) }, target);
    return { sent, results };
  };
  return { source, schema, runner, subscriber, executions: () => executions };
}

const settle = () => new Promise((r) => setTimeout(r, 10));

describe('shared execution of live subscriptions', () => {
  it('executes an event once for subscribers of the same operation and once more for a different operation', async () => {
    const w = world();
    const a = w.subscriber('1', 'subscription { ticks { seq } }', 'seq-only');
    const b = w.subscriber('7', 'subscription { ticks { seq } }', 'seq-only');
    const c = w.subscriber('2', 'subscription { t: ticks { label n: seq } }', 'aliased');
    await Promise.all([a.results, b.results, c.results]);
    w.source.emit({ seq: 1, label: 'first' });
    await settle();
    expect(w.executions()).toBe(2);
    expect(a.sent).toEqual([{ id: '1', type: 'next', payload: { data: { ticks: { seq: 1 } } } }]);
    expect(b.sent).toEqual([{ id: '7', type: 'next', payload: { data: { ticks: { seq: 1 } } } }]);
    expect(c.sent).toEqual([{ id: '2', type: 'next', payload: { data: { t: { label: 'first', n: 1 } } } }]);
  });

  it('sends a subscriber its events in the order the feed delivered them', async () => {
    const w = world();
    const a = w.subscriber('1', 'subscription { ticks { seq } }', 'k');
    await a.results;
    for (let seq = 1; seq <= 50; seq += 1) w.source.emit({ seq, label: String(seq) });
    await settle();
    expect(a.sent.map((m) => m.payload.data.ticks.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('stops sending once the subscriber returns, and completes when the feed ends', async () => {
    const w = world();
    const a = w.subscriber('1', 'subscription { ticks { seq } }', 'k');
    const b = w.subscriber('2', 'subscription { ticks { seq } }', 'k');
    const leaving = (await a.results) as AsyncIterableIterator<ExecutionResult> & { return(): Promise<unknown> };
    const staying = (await b.results) as AsyncIterableIterator<ExecutionResult>;
    await leaving.return();
    expect(w.source.listeners.size).toBe(1);
    w.source.emit({ seq: 1, label: 'x' });
    const done = staying.next();
    w.source.end();
    await expect(done).resolves.toEqual({ done: true, value: undefined });
    expect(a.sent).toEqual([]);
    expect(b.sent).toHaveLength(1);
  });

  it('refuses to fan out a field whose type is not plain data (a field of it takes arguments)', async () => {
    const w = world();
    await expect(w.subscriber('1', 'subscription { wrapped { tick { seq } } }', 'k').results).rejects.toThrow('not plain data');
  });

  it('runs any other async iterable once per event for its subscriber', async () => {
    const w = world();
    const results = (await w.subscriber('1', 'subscription { plainIterable { label } }', 'k').results) as AsyncIterableIterator<ExecutionResult>;
    await expect(results.next()).resolves.toEqual({ done: false, value: { data: { plainIterable: { label: 'one' } } } });
    await expect(results.next()).resolves.toEqual({ done: true, value: undefined });
  });
});
