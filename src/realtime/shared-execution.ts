import {
  createSourceEventStream, execute, getNamedType, getOperationAST, GraphQLError, isLeafType, isObjectType, Kind,
  type DocumentNode, type ExecutionArgs, type ExecutionResult, type FragmentDefinitionNode, type GraphQLNamedType, type GraphQLSchema, type SelectionSetNode,
} from 'graphql';
import { LiveFeed } from './live-feed';

/** One subscription as the socket server knows it: where its `next` messages go. */
export interface SubscriptionTarget {
  /** The graphql-ws operation id. */
  readonly id: string;
  /** Equal for two subscriptions exactly when their operations give equal results for an equal event. */
  readonly operationKey: string;
  /** Hands one protocol message to the socket. */
  send(data: string): void;
  /**
   * Set by the runner for a running fanned-out subscription: checks it again against its context's current
   * principal, and ends it with the error the check gives when it is no longer allowed.
   */
  reauthorise?: () => void;
}

/** A subscription's results as graphql-ws iterates them (it calls `return` on complete and on close). */
interface Results extends AsyncIterableIterator<ExecutionResult, void> {
  return(): Promise<IteratorResult<ExecutionResult, void>>;
}

/** The result of one operation for one event, serialised once and sent to every subscriber of the operation. */
interface SharedResult {
  /** The `payload` of the protocol's next message, once executed. */
  json: string | undefined;
  /** Subscribers whose next message waits for it. */
  waiting: Subscriber[];
  settled: Promise<void>;
}

class Subscriber {
  /** Results owed to this subscriber, oldest first (the first one may still be executing). */
  readonly owed: SharedResult[] = [];
  ended = false;
  private readonly prefix: string;

  constructor(private readonly target: SubscriptionTarget) {
    this.prefix = `{"id":${JSON.stringify(target.id)},"type":"next","payload":`;
  }

  /** Sends one `next` with this payload (JSON) at once, after nothing else (the subscription ends with it). */
  send(payload: string): void {
    this.target.send(`${this.prefix}${payload}}`);
  }

  receive(result: SharedResult): void {
    if (this.ended) return;
    if (result.json !== undefined && this.owed.length === 0) return this.target.send(`${this.prefix}${result.json}}`);
    this.owed.push(result);
    if (result.json === undefined) result.waiting.push(this);
  }

  /** Sends, in order, what is owed and executed. */
  flush(): void {
    while (!this.ended && this.owed.length > 0 && this.owed[0]!.json !== undefined) {
      this.target.send(`${this.prefix}${this.owed.shift()!.json}}`);
    }
  }
}

/** The name of the operation's root field (a subscription has exactly one), looking into fragments. */
function rootFieldName(document: DocumentNode, selectionSet: SelectionSetNode): string | null {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) return selection.name.value;
    const inner =
      selection.kind === Kind.INLINE_FRAGMENT
        ? selection.selectionSet
        : document.definitions.find((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value)?.selectionSet;
    const name = inner === undefined ? null : rootFieldName(document, inner);
    if (name !== null) return name;
  }
  return null;
}

/**
 * Runs subscription operations for the socket server. A field whose source is a LiveFeed is fanned out: each
 * event is executed once per distinct operation (`operationKey`) and the serialised result is sent to every
 * subscriber of that operation the feed delivered the event to, in the feed's order. The feed has already
 * authorised the event for each subscriber; a shared field's type may only hold plain data (leaf fields
 * without arguments), so the result does not depend on who reads it, which is checked on first use. Every
 * other subscription runs as graphql-js runs it: one execution per event and subscriber.
 */
export class SubscriptionRunner {
  /** Results per event object and operation key; an event's entry goes when the event is collected. */
  private readonly results = new WeakMap<object, Map<string, SharedResult>>();
  /** Fields checked to hold plain data (true) or found not to (false). */
  private readonly plain = new Map<string, boolean>();

  constructor(
    private readonly schema: GraphQLSchema,
    /** Turns an execution result into what clients may see (error codes, no internals). */
    private readonly format: (result: ExecutionResult) => ExecutionResult,
  ) {}

  async subscribe(args: ExecutionArgs, target: SubscriptionTarget): Promise<Results | ExecutionResult> {
    const source = await createSourceEventStream(args);
    if (source instanceof LiveFeed) return this.fanOut(source, args, target);
    if (!(Symbol.asyncIterator in source)) return source;
    return this.perEvent(source, args);
  }

  private fanOut(feed: LiveFeed<object>, args: ExecutionArgs, target: SubscriptionTarget): Results {
    this.assertPlain(args);
    const subscriber = new Subscriber(target);
    let finish!: () => void;
    const finished = new Promise<IteratorResult<ExecutionResult, void>>((resolve) => {
      finish = () => resolve({ done: true, value: undefined });
    });
    const off = feed.listen({
      next: (event) => subscriber.receive(this.shared(event, args, target.operationKey)),
      // What the feed delivered before it ended is still sent; then graphql-ws completes the subscription.
      end: () => {
        void Promise.all(subscriber.owed.map((r) => r.settled)).then(() => {
          subscriber.ended = true;
          finish();
        });
      },
    });
    const close = async (): Promise<IteratorResult<ExecutionResult, void>> => {
      subscriber.ended = true;
      off();
      finish();
      return { done: true, value: undefined };
    };
    // Subscribing again is the check: the operation's own authorisation and its subscribe-time checks (ids
    // visible...) run against the principal the context holds now. A feed that comes back is never listened to.
    target.reauthorise = () => {
      if (subscriber.ended) return;
      void Promise.resolve()
        .then(() => createSourceEventStream(args))
        .then(
          (check) => (check instanceof LiveFeed ? null : (check as ExecutionResult).errors?.[0] ?? new GraphQLError('Forbidden', { extensions: { code: 'FORBIDDEN' } })),
          (error: unknown) => error,
        )
        .then((refused) => {
          if (refused === null || subscriber.ended) return;
          // The stream ends as a subscription refused when it is made would: a last result carrying the
          // error (FORBIDDEN, NOT_FOUND...), then complete.
          // Anything but a GraphQL error goes to `format` as the original error of one, which answers it (a
          // domain error by its kind, anything else as an internal error).
          const error = refused instanceof GraphQLError
            ? refused
            : refused instanceof Error ? new GraphQLError(refused.message, { originalError: refused }) : new GraphQLError('Internal server error');
          subscriber.send(JSON.stringify(this.format({ errors: [error] })));
          subscriber.ended = true;
          off();
          finish();
        })
        // Nothing here may become an unhandled rejection (the process would stop): end the stream instead.
        .catch(() => {
          subscriber.ended = true;
          off();
          finish();
        });
    };
    const results: Results = {
      next: () => finished,
      return: close,
      throw: async (error: unknown) => {
        await close();
        throw error;
      },
      [Symbol.asyncIterator]: () => results,
    };
    return results;
  }

  private shared(event: object, args: ExecutionArgs, key: string): SharedResult {
    let byOperation = this.results.get(event);
    if (byOperation === undefined) {
      byOperation = new Map();
      this.results.set(event, byOperation);
    }
    let result = byOperation.get(key);
    if (result !== undefined) return result;
    const entry: SharedResult = { json: undefined, waiting: [], settled: Promise.resolve() };
    entry.settled = Promise.resolve()
      .then(() => execute({ ...args, rootValue: event }))
      .catch((error: unknown) => ({ errors: [new GraphQLError('Internal server error', { originalError: error instanceof Error ? error : undefined })] }))
      .then((executed) => JSON.stringify(this.format(executed)))
      .catch(() => JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }))
      .then((json) => {
        entry.json = json;
        const waiting = entry.waiting;
        entry.waiting = [];
        for (const subscriber of waiting) subscriber.flush();
      });
    byOperation.set(key, entry);
    result = entry;
    return result;
  }

  /** A fanned-out field's type must be plain data (leaves, or objects of leaves, without arguments); a programming error otherwise, caught by any test using it. */
  private assertPlain(args: ExecutionArgs): void {
    const operation = getOperationAST(args.document, args.operationName);
    const name = (operation == null ? null : rootFieldName(args.document, operation.selectionSet)) ?? '';
    let plain = this.plain.get(name);
    if (plain === undefined) {
      const type = this.schema.getSubscriptionType()?.getFields()[name]?.type;
      const named = type === undefined ? undefined : getNamedType(type);
      plain = named !== undefined && isPlainObject(named);
      this.plain.set(name, plain);
    }
    if (!plain) throw new Error(`The subscription field ${name} streams a LiveFeed but its type is not plain data`);
  }

  /** One execution per event, as graphql-js's own subscribe does. */
  private perEvent(source: AsyncIterable<unknown>, args: ExecutionArgs): Results {
    const events = source[Symbol.asyncIterator]();
    const done = { done: true, value: undefined } as const;
    const results: Results = {
      next: async () => {
        const event = await events.next();
        if (event.done) return done;
        return { done: false, value: await execute({ ...args, rootValue: event.value }) };
      },
      return: async () => {
        await events.return?.();
        return done;
      },
      throw: async (error: unknown) => {
        await events.return?.();
        throw error;
      },
      [Symbol.asyncIterator]: () => results,
    };
    return results;
  }
}

/** An object type whose fields are leaves or, in turn, such objects, none taking arguments: the same data for every reader. */
function isPlainObject(type: GraphQLNamedType, seen: ReadonlySet<GraphQLNamedType> = new Set()): boolean {
  if (!isObjectType(type) || seen.has(type)) return false;
  const within = new Set([...seen, type]);
  return Object.values(type.getFields()).every((f) => {
    const named = getNamedType(f.type);
    return f.args.length === 0 && (isLeafType(named) || isPlainObject(named, within));
  });
}
