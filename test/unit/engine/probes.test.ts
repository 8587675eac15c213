import { randomUUID } from 'node:crypto';
import { DestinationProbe } from '../../../src/entities/destination-probe.entity';
import { isCoded } from '../../../src/engine/call-records';
import { PROBE_RETENTION_MS } from '../../../src/engine/probes';
import { EngineWorld } from './world';

/*
 * Health probing (issue 19, item 3; decision 037) on the engine in process with a virtual clock: probes are
 * sent only while a destination with a probe is backed off or suspended, at its interval; a success ends the
 * back-off, the configured successes in a row resume a suspension; probes take no slot and no call's trace.
 */

describe('health probes of external destinations, on a virtual clock', () => {
  let w: EngineWorld;
  beforeAll(async () => {
    w = await EngineWorld.create();
  });
  afterAll(async () => {
    await w?.close();
  });

  const probesOf = (destinationId: string) => w.of('PROBE_DESTINATION').filter((i) => i.destinationId === destinationId);
  const report = (probeId: string, outcome: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT', eventId: string = randomUUID()) => w.router.reportProbeOutcome(w.company, { eventId, probeId, outcome });
  const probeRow = (id: string) => w.dataSource.getRepository(DestinationProbe).findOneByOrFail({ id });

  /** A destination with a probe, backed off by a busy outcome of a first call; a second call waits for it. */
  async function backedOff(probe = { intervalSec: 10, timeoutSec: 3, successesToResume: 2 }, extra: Record<string, unknown> = {}) {
    const d = await w.destination({ maxSimultaneousCalls: 2, busyBackoffSec: 300, probe, ...extra });
    const queue = await w.queue([{ groupId: await w.group([], [d]) }]);
    const first = await w.enqueue(queue);
    await w.outcome((await w.instructed('DIAL_EXTERNAL', first.id)).attemptId!, 'BUSY');
    const second = await w.enqueue(queue);
    return { d, queue, first, second };
  }

  it('probes a backed-off destination at its interval without a slot or a call, and a success ends the back-off and dials the waiting call', async () => {
    const { d, first, second } = await backedOff();
    expect((await w.health(d)).backedOffUntil).toBe(w.clock.now() + 300_000);
    await w.advance(9_000);
    expect(probesOf(d)).toHaveLength(0);
    await w.advance(1_000);
    const [probe] = await w.until(() => probesOf(d).length === 1 && probesOf(d), 'the first probe after one interval');
    expect(probe).toMatchObject({ callId: probe!.attemptId, number: '+442079460958', ringTimeoutSec: 3 });
    expect(await w.slots(d)).toEqual({ connecting: 0, active: 0 });
    for (const callId of [first.id, second.id]) expect(JSON.stringify(await w.traceOf(callId))).not.toContain(probe!.attemptId!);
    expect(w.of('DIAL_EXTERNAL', second.id)).toHaveLength(0);

    const answered = await report(probe!.attemptId!, 'SUCCEEDED');
    expect(answered).toMatchObject({ outcome: 'SUCCEEDED', destinationId: d });
    expect((await w.health(d)).backedOffUntil).toBeNull();
    expect((await w.instructed('DIAL_EXTERNAL', second.id)).destinationId).toBe(d);
    // The back-off the busy outcome started is counted up to the success.
    const [busy] = await w.attempts(first.id);
    expect(busy!.backoffUntil!.getTime()).toBe(w.clock.now());
  });

  it('counts a probe without an outcome within its timeout as timed out, and keeps probing only while the destination is held back', async () => {
    const { d } = await backedOff({ intervalSec: 100, timeoutSec: 5, successesToResume: 1 });
    await w.advance(100_000);
    const [probe] = await w.until(() => probesOf(d).length === 1 && probesOf(d), 'the first probe');
    await w.advance(5_000);
    await w.until(async () => (await probeRow(probe!.attemptId!)).outcome === 'TIMED_OUT', 'the probe times out');
    expect(isCoded(await report(probe!.attemptId!, 'SUCCEEDED').catch((e: unknown) => e), 'CONFLICT')).toBe(true);
    await w.advance(95_000);
    await w.until(() => probesOf(d).length === 2, 'the second probe, one interval after the first');
    // The back-off (300 s from the busy outcome) is over when the third is due: probing stops there.
    await w.advance(100_000);
    expect((await w.health(d)).backedOffUntil ?? 0).toBeLessThanOrEqual(w.clock.now());
    await w.advance(300_000);
    await w.settle();
    expect(probesOf(d)).toHaveLength(2);
  });

  it('resumes a suspended destination after the configured successes in a row, a failure starting the count again', async () => {
    const d = await w.destination({ maxSimultaneousCalls: 2, failureBackoffSec: 1, maxConsecutiveFailures: 1, probe: { intervalSec: 20, timeoutSec: 5, successesToResume: 2 } });
    const queue = await w.queue([{ groupId: await w.group([], [d]) }]);
    const first = await w.enqueue(queue);
    await w.outcome((await w.instructed('DIAL_EXTERNAL', first.id)).attemptId!, 'FAILED');
    await w.until(async () => (await w.destinationRow(d)).suspendedAt !== null, 'the destination is suspended');
    const waiting = await w.enqueue(queue);

    const nth = async (n: number) => {
      await w.advance(20_000);
      return (await w.until(() => probesOf(d).length >= n && probesOf(d), `probe #${n}`))[n - 1]!.attemptId!;
    };
    await report(await nth(1), 'SUCCEEDED');
    expect((await w.destinationRow(d)).suspendedAt).not.toBeNull();
    await report(await nth(2), 'FAILED');
    await report(await nth(3), 'SUCCEEDED');
    expect((await w.destinationRow(d)).suspendedAt).not.toBeNull();
    expect(w.of('DIAL_EXTERNAL', waiting.id)).toHaveLength(0);
    await report(await nth(4), 'SUCCEEDED');
    expect((await w.destinationRow(d)).suspendedAt).toBeNull();
    expect((await w.health(d)).consecutiveFailures).toBe(0);
    expect((await w.instructed('DIAL_EXTERNAL', waiting.id)).destinationId).toBe(d);
    // Healthy again: the next probe time comes and no probe is sent.
    await w.advance(20_000);
    await w.settle();
    expect(probesOf(d)).toHaveLength(4);
  });

  it('applies a probe outcome once per event id and refuses what is not a probe outcome', async () => {
    const { d } = await backedOff({ intervalSec: 10, timeoutSec: 3, successesToResume: 1 });
    await w.advance(10_000);
    const [probe] = await w.until(() => probesOf(d).length === 1 && probesOf(d), 'the probe');
    const once = await report(probe!.attemptId!, 'FAILED', 'probe-event-1');
    const again = await report(probe!.attemptId!, 'FAILED', 'probe-event-1');
    expect(again).toEqual(once);
    let refused: unknown;
    await report(probe!.attemptId!, 'SUCCEEDED', 'probe-event-1').catch((e: unknown) => (refused = e));
    expect(isCoded(refused, 'CONFLICT')).toBe(true);
    await report(probe!.attemptId!, 'SUCCEEDED', `probe-timeout:${probe!.attemptId}`).catch((e: unknown) => (refused = e));
    expect(isCoded(refused, 'BAD_USER_INPUT')).toBe(true);
    await report(randomUUID(), 'SUCCEEDED').catch((e: unknown) => (refused = e));
    expect(isCoded(refused, 'NOT_FOUND')).toBe(true);
    // The failure changed nothing: still backed off.
    expect((await w.health(d)).backedOffUntil).toBeGreaterThan(w.clock.now());
  });

  it('sends no probe for a destination without one, and starts probing when one is given to a destination held back', async () => {
    const d = await w.destination({ maxSimultaneousCalls: 2, busyBackoffSec: 600 });
    const queue = await w.queue([{ groupId: await w.group([], [d]) }]);
    const call = await w.enqueue(queue);
    await w.outcome((await w.instructed('DIAL_EXTERNAL', call.id)).attemptId!, 'BUSY');
    await w.advance(120_000);
    await w.settle();
    expect(probesOf(d)).toHaveLength(0);
    const row = await w.destinationRow(d);
    await w.services.destinations.update(w.actor, d, { name: row.name, numberMode: row.numberMode, probe: { intervalSec: 15, timeoutSec: 5 } });
    await w.advance(15_000);
    await w.until(() => probesOf(d).length === 1, 'a probe one interval after the probe was given');
  });

  it('deletes the ended probes older than the retention and keeps those still out or recent', async () => {
    const d = await w.destination();
    const repo = w.dataSource.getRepository(DestinationProbe);
    const at = (ago: number) => new Date(w.clock.now() - ago);
    const row = (sentAt: Date, outcome: 'SUCCEEDED' | null) => repo.save(repo.create({ companyId: w.company, destinationId: d, number: '+442079460958', timeoutSec: 5, sentAt, outcome, endedAt: outcome === null ? null : sentAt }));
    const old = await row(at(PROBE_RETENTION_MS + 60_000), 'SUCCEEDED');
    const outOld = await row(at(PROBE_RETENTION_MS + 60_000), null);
    const recent = await row(at(PROBE_RETENTION_MS - 60_000), 'SUCCEEDED');
    expect((await w.router.pruneRecords()).probes).toBe(1);
    const left = (await repo.find({ where: { destinationId: d }, select: { id: true } })).map((p) => p.id).sort();
    expect(left).toEqual([outOld.id, recent.id].sort());
    expect(left).not.toContain(old.id);
  });

  it('refuses probe settings it cannot keep, naming each field', async () => {
    const problems = async (fields: Record<string, unknown>) => {
      try {
        await w.destination(fields);
      } catch (error) {
        return ((error as { extensions: { problems: Array<{ field: string }> } }).extensions.problems).map((p) => p.field);
      }
      return [];
    };
    expect(await problems({ probe: { intervalSec: 10, timeoutSec: 10 } })).toEqual(['input.probe.timeoutSec']);
    expect(await problems({ probe: { intervalSec: 2, successesToResume: 0 } })).toEqual(expect.arrayContaining(['input.probe.intervalSec', 'input.probe.successesToResume']));
    expect(await problems({ numberMode: 'PREFIX_PLUS_LAST_DIGITS', number: undefined, prefix: '+4420', lastDigits: 4, probe: { intervalSec: 30 } })).toEqual(['input.probe.number']);
    expect(await problems({ probe: { number: '12' } })).toEqual(['input.probe.number']);
  });
});
