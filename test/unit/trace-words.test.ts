import {
  HIDDEN_DESTINATION, nodeTypeWords, plainTrace, renderTrace, scrubIds, scrubLegacyText, wordsNaming,
  type LegacyLens, type TraceFacts,
} from '../../src/routing/trace-words';

const HIDDEN = '9cfbf025-0d6c-4a43-9d0e-5b0c7d1e2f30';
const SEEN = '1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9';
const QUEUE = '0a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9';
const GONE = 'ffffffff-0000-4000-8000-000000000000';

/** A reader who sees SEEN ("Partner") but not HIDDEN ("Secret AI"); the queue is "Sales". */
const lens: LegacyLens = {
  destination: (id) => (id === SEEN ? { visible: true, name: 'Partner' } : { visible: false, name: null }),
  queue: (id) => ({ name: id === QUEUE ? 'Sales' : null }),
  kindOf: (id) => (id === SEEN || id === HIDDEN ? 'DESTINATION' : id === QUEUE ? 'QUEUE' : null),
};

describe('trace words', () => {
  it.each([
    ['ROUTE_TO_EXTERNAL_DESTINATION', 'Route To External Destination'],
    ['BRANCH_ON_TIME_RANGES', 'Branch On Time Ranges'],
    ['PLAY_MESSAGE', 'Play Message'],
    ['WAIT', 'Wait'],
    ['START', 'Start'],
  ])('reads the node type %s as %s', (type, words) => {
    expect(nodeTypeWords(type)).toBe(words);
  });

  it('renders a flow entry per reader: the name of a destination it sees, never anything of one it does not', () => {
    const about = (id: string): TraceFacts => ({
      node: { type: 'ROUTE_TO_EXTERNAL_DESTINATION', id: 'ext', branch: null, arrived: true },
      words: wordsNaming(`the call is offered to external destination ${id}`, [{ kind: 'DESTINATION', id }]),
    });
    expect(renderTrace(about(SEEN), lens)).toBe('Route To External Destination node "ext" stopped here: the call is offered to external destination "Partner"');
    expect(renderTrace(about(HIDDEN), lens)).toBe(`Route To External Destination node "ext" stopped here: the call is offered to ${HIDDEN_DESTINATION}`);
    expect(plainTrace(about(HIDDEN))).toBe(`Route To External Destination node "ext" stopped here: the call is offered to external destination ${HIDDEN}`);
  });

  it('names a queue by name, and says when a resource no longer exists', () => {
    const facts: TraceFacts = { words: wordsNaming(`the call waits in queue ${QUEUE}, then queue ${GONE}`, [{ kind: 'QUEUE', id: QUEUE }, { kind: 'QUEUE', id: GONE }]) };
    expect(renderTrace(facts, lens)).toBe('the call waits in queue "Sales", then a queue that no longer exists');
  });

  it('gives text about a destination only to readers who may see it', () => {
    const failed = (id: string): TraceFacts => ({
      words: ['could not be built', { private: ' (service number does not start with +4411399)', of: { kind: 'DESTINATION', id }, otherwise: '' }, ': the attempt failed'],
    });
    expect(renderTrace(failed(SEEN), lens)).toBe('could not be built (service number does not start with +4411399): the attempt failed');
    expect(renderTrace(failed(HIDDEN), lens)).toBe('could not be built: the attempt failed');
  });

  it('scrubs ids out of text: hidden destinations in words, unknown ids as removed', () => {
    expect(scrubIds(`a ${HIDDEN} b ${SEEN} c queue ${QUEUE} d ${GONE}`, lens)).toBe(`a ${HIDDEN_DESTINATION} b external destination "Partner" c queue "Sales" d (removed)`);
  });

  it('reads entries written before facts safely: no hidden id, no prefix of a hidden destination, node types in words', () => {
    expect(scrubLegacyText(`route to_external_destination node "ext" stopped here: the call is offered to external destination ${HIDDEN}`, lens, false))
      .toBe(`Route To External Destination node "ext" stopped here: the call is offered to ${HIDDEN_DESTINATION}`);
    expect(scrubLegacyText(`queue node "q" stopped here: the call waits in queue ${QUEUE}`, lens, false)).toBe('Queue node "q" stopped here: the call waits in queue "Sales"');
    expect(scrubLegacyText('the number to dial for this call could not be built (service number does not start with +4411399): the attempt failed without dialling', lens, true))
      .toBe('the number to dial for this call could not be built: the attempt failed without dialling');
    expect(scrubLegacyText('branch on_time_ranges node "hours" took NotMatched: outside Mon-Fri 09:00-17:00 Europe/London', lens, false))
      .toBe('Branch On Time Ranges node "hours" took NotMatched: outside Mon-Fri 09:00-17:00 Europe/London');
  });
});
