import { randomUUID } from 'node:crypto';
import { TelephonyEvent } from '../../../src/entities/call.entity';
import { isCoded, TELEPHONY_EVENT_RETENTION_MS } from '../../../src/engine/call-records';
import { EngineWorld } from './world';

/*
 * What is kept for a while only (decision 039): applied telephony event ids are remembered 30 days; a repeat
 * within them changes nothing and answers as before, and after them it is judged by the records alone.
 */

describe('records kept for a while only, on a virtual clock', () => {
  let w: EngineWorld;
  beforeAll(async () => {
    w = await EngineWorld.create();
  });
  afterAll(async () => {
    await w?.close();
  });

  it('forgets an applied event id after 30 days, in batches, and then judges a repeat by the records alone', async () => {
    const queue = await w.queue([{ groupId: await w.group([await w.agent('Keeper')]) }]);
    const call = await w.enqueue(queue);
    const ring = await w.instructed('RING_AGENT', call.id);
    const eventId = `answer-${randomUUID()}`;
    const report = () => w.router.reportOutcome(w.company, { eventId, attemptId: ring.attemptId!, outcome: 'ANSWERED' });
    await report();
    // Within the retention a repeat changes nothing and answers the attempt as it is.
    expect((await report()).state).toBe('CONNECTED');
    expect((await w.router.pruneRecords()).events).toBe(0);

    // Thirty days and a minute later (the record's time moved back), the id is forgotten.
    const events = w.dataSource.getRepository(TelephonyEvent);
    await events.update({ companyId: w.company, eventId }, { receivedAt: new Date(w.clock.now() - TELEPHONY_EVENT_RETENTION_MS - 60_000) });
    // Many old ones go in several statements.
    const old = new Date(w.clock.now() - TELEPHONY_EVENT_RETENTION_MS - 120_000);
    for (let i = 0; i < 12; i += 1) {
      await events.insert(Array.from({ length: 1_000 }, (_, k) => ({ companyId: w.company, eventId: `old-${i}-${k}`, fingerprint: 'END:x:COMPLETED', receivedAt: old })));
    }
    expect((await w.router.pruneRecords()).events).toBe(12_001);
    expect(await events.findOneBy({ companyId: w.company, eventId })).toBeNull();

    // The same event again: the attempt is connected already, so the answer is CONFLICT, and nothing changes.
    let refused: unknown;
    await report().catch((e: unknown) => (refused = e));
    expect(isCoded(refused, 'CONFLICT')).toBe(true);
    expect((await w.attempts(call.id))[0]!.state).toBe('CONNECTED');
  });
});
