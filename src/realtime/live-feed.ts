import { Repeater } from '@graphql-yoga/subscription';

/** Receives a feed's events, in order, until the feed ends or the listener is removed. */
export interface FeedListener<T> {
  next(event: T): void;
  /** The feed ended by itself (its subscriber may no longer see anything): no event follows. */
  end(): void;
}

/**
 * The source of a live subscription whose events many subscribers share: each event is one object that
 * every subscriber allowed to see it receives as is, already authorised for that subscriber by the feed.
 *
 * The WebSocket server recognises a feed and executes the operation once per event and distinct operation,
 * sending the same result to every subscriber of that operation (see ws-server), so the GraphQL type a feed
 * streams must not depend on who reads it: it may only have plain data fields (the server checks this).
 * Anything else may still iterate a feed as an ordinary async iterable.
 */
export class LiveFeed<T extends object> implements AsyncIterable<T> {
  /** `open` starts delivering to the listener and returns the function that stops it. */
  constructor(private readonly open: (listener: FeedListener<T>) => () => void) {}

  listen(listener: FeedListener<T>): () => void {
    return this.open(listener);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new Repeater<T>(async (push, stop) => {
      const off = this.open({ next: (event) => void push(event), end: () => stop() });
      await stop;
      off();
    })[Symbol.asyncIterator]();
  }
}
