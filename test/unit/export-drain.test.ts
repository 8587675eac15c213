import { PassThrough } from 'node:stream';
import { drainedOrClosed } from '../../src/http/statistics-export';

describe('waiting for a download to drain', () => {
  it('leaves no listener behind after many waits, whether the stream drained or closed', async () => {
    const stream = new PassThrough({ highWaterMark: 4 });
    const before = { close: stream.listenerCount('close'), drain: stream.listenerCount('drain'), error: stream.listenerCount('error') };
    for (let i = 0; i < 25; i += 1) {
      expect(stream.write('0123456789')).toBe(false);
      const waited = drainedOrClosed(stream);
      stream.read();
      await waited;
    }
    expect({ close: stream.listenerCount('close'), drain: stream.listenerCount('drain'), error: stream.listenerCount('error') }).toEqual(before);
    const closing = drainedOrClosed(stream);
    stream.destroy();
    await closing;
    expect(stream.listenerCount('drain')).toBe(before.drain);
  });
});
