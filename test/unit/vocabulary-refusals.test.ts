import { capacityRefusalsOf } from '../../src/routing/capacity-refusals';

const full = (resourceId: string) => ({ kind: 'DESTINATION', resourceId, reason: 'DESTINATION_AT_CAPACITY', detail: 'at capacity 2/2' });

describe('capacity refusals as facts of a trace entry', () => {
  it('are the destinations the entry skips for capacity, each once, at the entry\'s time', () => {
    expect(capacityRefusalsOf({
      at: 5_000,
      skipped: [
        full('d1'),
        { kind: 'DESTINATION', resourceId: 'd2', reason: 'DESTINATION_BACKED_OFF', detail: 'backed off' },
        full('d3'),
        full('d1'),
        { kind: 'AGENT', resourceId: 'a1', reason: 'AGENT_BUSY', detail: 'DESTINATION_AT_CAPACITY' },
        { kind: 'GROUP', resourceId: 'd4', reason: 'DESTINATION_AT_CAPACITY', detail: '' },
        full(''),
      ],
    })).toEqual([{ destinationId: 'd1', at: 5_000 }, { destinationId: 'd3', at: 5_000 }]);
  });

  it('take the time of an entry read back (a Date), and are none for an entry that skips nothing', () => {
    expect(capacityRefusalsOf({ at: new Date(7_000), skipped: [full('d1')] })).toEqual([{ destinationId: 'd1', at: 7_000 }]);
    expect(capacityRefusalsOf({ at: 1 })).toEqual([]);
    expect(capacityRefusalsOf({ at: 1, skipped: null })).toEqual([]);
    expect(capacityRefusalsOf({ at: 1, skipped: [] })).toEqual([]);
  });
});
