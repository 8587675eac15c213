import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import { In } from 'typeorm';
import WebSocket from 'ws';
import { Instruction as InstructionRow } from '../../src/entities/instruction.entity';
import { ManualScheduler } from '../../src/platform/scheduler';
import { PRUNING_DEFAULTS, REDELIVERY_DEFAULTS } from '../../src/services/instruction-delivery';
import { eventually, routingModes, RoutingWorld, useRoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

interface Received {
  instructionId: string;
  seq: number;
  kind: string;
  callId: string;
  attemptId: string | null;
}

/**
 * One connector session over graphql-ws that selects `seq`, optionally resuming after a seq and declaring that it
 * acknowledges; it acknowledges nothing by itself.
 */
class Session {
  readonly received: Received[] = [];
  private client: Client | null = null;

  private constructor(private readonly t: TestGateway, private readonly companyId: string, private readonly key: string) {}

  /** Opens a session and resolves once the gateway registered it. */
  static async open(t: TestGateway, companyId: string, key: string, afterSeq?: number, acknowledges?: boolean): Promise<Session> {
    const session = new Session(t, companyId, key);
    await session.connect(afterSeq, acknowledges);
    return session;
  }

  private async live(): Promise<Set<string>> {
    return new Set((await this.t.gateway.live.sessions.live(this.companyId)).map((s) => s.sessionId));
  }

  private async connect(afterSeq?: number, acknowledges?: boolean): Promise<void> {
    const before = await this.live();
    this.client = createClient({
      url: this.t.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${this.key}` }, retryAttempts: 0, lazy: false,
    });
    this.client.subscribe<{ telephonyInstructions: Received }>(
      {
        query: acknowledges === undefined
          ? 'subscription($a: Int) { telephonyInstructions(afterSeq: $a) { instructionId seq kind callId attemptId } }'
          : 'subscription($a: Int, $k: Boolean) { telephonyInstructions(afterSeq: $a, acknowledges: $k) { instructionId seq kind callId attemptId } }',
        variables: acknowledges === undefined ? { a: afterSeq ?? null } : { a: afterSeq ?? null, k: acknowledges },
      },
      { next: (msg) => void (msg.data && this.received.push(msg.data.telephonyInstructions)), error: () => undefined, complete: () => undefined },
    );
    await eventually(async () => [...(await this.live())].some((id) => !before.has(id)), 10_000, { what: 'the session registered', everyMs: 5 });
  }

  of(callId: string): Received[] {
    return this.received.filter((i) => i.callId === callId);
  }

  /** Closes the session and waits until the gateway forgot it. */
  async close(): Promise<void> {
    const before = await this.live();
    await this.client?.dispose();
    await eventually(async () => (await this.live()).size < before.size, 10_000, { what: 'the session removed', everyMs: 5 });
  }
}

describe.each(routingModes().map((m) => [m.name, m] as const))('telephony instructions at least once (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  let key: string;
  /** Time for the gateway's waiting logic (redelivery sweeps, session renewals, the router's loops), moved by the tests. */
  const scheduler = new ManualScheduler(Date.now());
  const sessions: Session[] = [];
  /** Pruning every 10 s of the scheduler's time, two rows a statement (the retentions are the defaults). */
  const pruning = { pruneEveryMs: 10_000, pruneBatch: 2 };
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  }, { scheduler, instructions: pruning });

  beforeEach(async () => {
    // The world's own connector stays out: the sessions of each test are its own.
    await w.connector.close();
    await eventually(async () => (await t.gateway.live.sessions.live(w.company.id)).length === 0, 10_000, { what: 'no session left', everyMs: 5 });
    key = (await t.ok('mutation { createConnectorApiKey(name: "sessions") { apiKey } }', {}, w.admin)).createConnectorApiKey.apiKey;
  });
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.close().catch(() => undefined);
  });

  const open = async (afterSeq?: number, acknowledges?: boolean) => {
    const s = await Session.open(t, w.company.id, key, afterSeq, acknowledges);
    sessions.push(s);
    return s;
  };
  /** A queue of its own agents (each available), ringing for long enough that no ring timeout interferes. */
  const queueOf = async (agents: number) => {
    const ids: string[] = [];
    for (let i = 0; i < agents; i += 1) ids.push(await w.agent(`Agent ${i}`));
    return w.queue([{ groupId: await w.group(ids) }], { agentRingTimeoutSec: 300 });
  };
  const enqueue = async (queueId: string) => (await w.connector.enqueueOk(queueId)).id;
  const row = (id: string) => t.gateway.dataSource.getRepository(InstructionRow).findOneByOrFail({ id });
  /** Past the redelivery time, with the sweeps on the way. */
  const pastRedelivery = () => scheduler.advance(REDELIVERY_DEFAULTS.redeliverAfterMs + REDELIVERY_DEFAULTS.sweepMs);
  const acknowledge = (ids: string[], as = key) =>
    t.gql<{ acknowledgeTelephonyInstructions: number }>('mutation($ids: [ID!]!) { acknowledgeTelephonyInstructions(ids: $ids) }', { ids }, as);

  it('delivers an instruction again, with the same id, to another session when the one it went to dropped before acknowledging it', async () => {
    const [a, b] = [await open(), await open()];
    const queue = await queueOf(1);
    const callId = await enqueue(queue);
    const [first] = await eventually(async () => [a, b].find((s) => s.of(callId).length > 0)?.of(callId), 10_000, { what: 'the RING_AGENT delivered' });
    expect(first!.kind).toBe('RING_AGENT');
    const [gone, other] = a.of(callId).length > 0 ? [a, b] : [b, a];
    await gone.close();
    sessions.splice(sessions.indexOf(gone), 1);
    expect(other.of(callId)).toEqual([]);
    await pastRedelivery();
    const again = await eventually(async () => other.of(callId)[0], 10_000, { what: 'the RING_AGENT delivered again' });
    expect(again).toEqual(first);
    const logged = await row(first!.instructionId);
    expect(logged.deliveries).toBe(2);
    expect(logged.acknowledgedAt).toBeNull();
  });

  it('sends a reconnecting connector the outstanding instructions first, in seq order, and resumes after a seq', async () => {
    const queue = await queueOf(3);
    const calls = [await enqueue(queue), await enqueue(queue), await enqueue(queue)];
    // Logged with no session to go to.
    await eventually(async () => (await t.gateway.dataSource.getRepository(InstructionRow).countBy({ companyId: w.company.id })) === 3, 10_000, { what: 'three instructions logged' });
    const s = await open();
    await eventually(async () => s.received.length >= 3, 10_000, { what: 'the outstanding instructions' });
    expect(s.received.map((i) => i.callId)).toEqual(calls);
    const seqs = s.received.map((i) => i.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(3);

    // Resuming after the first: the others only.
    const resumed = await open(seqs[0]);
    await eventually(async () => resumed.received.length >= 2, 10_000, { what: 'the instructions after the first seq' });
    expect(resumed.received.map((i) => i.instructionId)).toEqual(s.received.slice(1).map((i) => i.instructionId));
  });

  it('never delivers again an instruction acknowledged explicitly (idempotent, another company\'s ids ignored)', async () => {
    const s = await open();
    const queue = await queueOf(2);
    const [c1, c2] = [await enqueue(queue), await enqueue(queue)];
    const [r1] = await eventually(async () => s.of(c1).length > 0 && s.of(c1), 10_000, { what: 'the first RING_AGENT' });
    const [r2] = await eventually(async () => s.of(c2).length > 0 && s.of(c2), 10_000, { what: 'the second RING_AGENT' });

    const other = await RoutingWorld.create(t);
    const otherKey = (await t.ok('mutation { createConnectorApiKey(name: "other") { apiKey } }', {}, other.admin)).createConnectorApiKey.apiKey;
    expect((await acknowledge([r1!.instructionId], otherKey)).data?.acknowledgeTelephonyInstructions).toBe(0);
    await other.close();
    expect((await row(r1!.instructionId)).acknowledgedAt).toBeNull();

    expect((await acknowledge([r1!.instructionId, 'not-an-instruction'])).data?.acknowledgeTelephonyInstructions).toBe(1);
    expect((await acknowledge([r1!.instructionId])).data?.acknowledgeTelephonyInstructions).toBe(1);
    expect((await row(r1!.instructionId)).acknowledgedAt).not.toBeNull();

    await pastRedelivery();
    await eventually(async () => s.of(c2).length === 2, 10_000, { what: 'the unacknowledged one delivered again (the only session)' });
    expect(s.of(c2).every((i) => i.instructionId === r2!.instructionId)).toBe(true);
    await pastRedelivery();
    await eventually(async () => s.of(c2).length === 3, 10_000, { what: 'the unacknowledged one delivered a third time' });
    expect(s.of(c1)).toHaveLength(1);

    // A new session is not sent it either.
    const later = await open();
    await eventually(async () => later.received.length > 0, 10_000, { what: 'the outstanding one resumed' });
    expect(later.received.map((i) => i.instructionId)).toEqual([r2!.instructionId]);
  });

  it('takes the reported outcome as the acknowledgement of its RING_AGENT', async () => {
    const s = await open();
    const queue = await queueOf(1);
    const callId = await enqueue(queue);
    const [ring] = await eventually(async () => s.of(callId).length > 0 && s.of(callId), 10_000, { what: 'the RING_AGENT' });
    const res = await w.connector.outcome(ring!.attemptId!, 'ANSWERED');
    expect(res.errors).toBeUndefined();
    expect((await row(ring!.instructionId)).acknowledgedAt).not.toBeNull();
    await pastRedelivery();
    await pastRedelivery();
    expect(s.of(callId)).toHaveLength(1);
  });

  /** A call whose attempt was cancelled (the caller hung up while its agent rang): its CANCEL_ATTEMPT. */
  const cancelled = async (within: Session[]) => {
    const callId = await enqueue(await queueOf(1));
    await eventually(async () => within.some((s) => s.of(callId).some((i) => i.kind === 'RING_AGENT')), 10_000, { what: 'the RING_AGENT' });
    expect((await w.connector.endCall(callId, 'CALLER_HUNG_UP')).errors).toBeUndefined();
    return { callId, kind: 'CANCEL_ATTEMPT' };
  };
  /** A call refused by a full queue (it ended at once): its DISCONNECT. */
  const refused = async () => {
    const queue = await w.queue([{ groupId: await w.group([await w.agent('Off', 'LOGGED_OUT')]) }], { maxQueueLength: 1, maxWaitSec: 3600 });
    await enqueue(queue);
    const call = await w.connector.enqueueOk(queue);
    expect(call.state).toBe('FAILED');
    return { callId: call.id, kind: 'DISCONNECT' };
  };
  const instructionOf = (sessionsToSearch: Session[], callId: string, kind: string) =>
    eventually(async () => sessionsToSearch.flatMap((s) => s.of(callId)).find((i) => i.kind === kind), 10_000, { what: `the ${kind}` });

  it.each([['CANCEL_ATTEMPT'], ['DISCONNECT']])(
    'delivers a %s again, with the same id, to another session when the acknowledging session it went to dropped without acknowledging it, until it is acknowledged',
    async (kind) => {
      const [a, b] = [await open(undefined, true), await open(undefined, true)];
      const { callId } = kind === 'CANCEL_ATTEMPT' ? await cancelled([a, b]) : await refused();
      const first = await instructionOf([a, b], callId, kind);
      const [gone, other] = a.of(callId).some((i) => i.instructionId === first.instructionId) ? [a, b] : [b, a];
      // The attempt or the call has ended, yet the records do not acknowledge it: the connector said it would.
      await eventually(async () => (await row(first.instructionId)).explicitAck, 10_000, { what: 'the instruction logged as acknowledged explicitly' });
      await gone.close();
      sessions.splice(sessions.indexOf(gone), 1);
      expect(other.of(callId).filter((i) => i.kind === kind)).toEqual([]);
      await pastRedelivery();
      const again = await eventually(async () => other.of(callId).find((i) => i.kind === kind), 10_000, { what: `the ${kind} delivered again` });
      expect(again).toEqual(first);
      const logged = await row(first.instructionId);
      expect(logged).toMatchObject({ deliveries: 2, acknowledgedAt: null, explicitAck: true });

      expect((await acknowledge([first.instructionId])).data?.acknowledgeTelephonyInstructions).toBe(1);
      expect((await row(first.instructionId)).acknowledgedAt).not.toBeNull();
      await pastRedelivery();
      await pastRedelivery();
      expect(other.of(callId).filter((i) => i.kind === kind)).toHaveLength(1);
    },
  );

  it.each([['CANCEL_ATTEMPT'], ['DISCONNECT']])(
    'takes the end of the attempt or the call as the acknowledgement of a %s delivered to a session that did not declare it acknowledges, as before',
    async (kind) => {
      const s = await open();
      const { callId } = kind === 'CANCEL_ATTEMPT' ? await cancelled([s]) : await refused();
      const delivered = await instructionOf([s], callId, kind);
      await pastRedelivery();
      await eventually(async () => (await row(delivered.instructionId)).acknowledgedAt !== null, 10_000, { what: 'acknowledged by the records' });
      expect((await row(delivered.instructionId)).explicitAck).toBe(false);
      await pastRedelivery();
      expect(s.of(callId).filter((i) => i.kind === kind)).toHaveLength(1);
    },
  );

  it('resumes to a new acknowledging session a DISCONNECT whose call ended, and lets the records acknowledge it once a session that does not acknowledge took it over', async () => {
    const acknowledging = await open(undefined, true);
    const { callId } = await refused();
    const first = await instructionOf([acknowledging], callId, 'DISCONNECT');
    await acknowledging.close();
    sessions.splice(sessions.indexOf(acknowledging), 1);
    const again = await open(undefined, true);
    await eventually(async () => again.of(callId).length > 0, 10_000, { what: 'the DISCONNECT resumed' });
    expect(again.of(callId)).toEqual([first]);
    await again.close();
    sessions.splice(sessions.indexOf(again), 1);
    // An old connector: the records acknowledge what it is given.
    const old = await open();
    await eventually(async () => old.of(callId).length > 0, 10_000, { what: 'the DISCONNECT resumed to the old connector' });
    await pastRedelivery();
    await eventually(async () => (await row(first.instructionId)).acknowledgedAt !== null, 10_000, { what: 'acknowledged by the records' });
    expect((await row(first.instructionId)).explicitAck).toBe(false);
  });

  describe('pruning', () => {
    const HOUR = 3_600_000;
    const repo = () => t.gateway.dataSource.getRepository(InstructionRow);
    let seq = 1_000_000;
    /** A row of the log logged `createdAgo` ms ago and acknowledged `acknowledgedAgo` ms ago (null: outstanding). */
    const logged = async (createdAgo: number, acknowledgedAgo: number | null) => {
      const id = randomUUID();
      const now = scheduler.now();
      await repo().insert({
        id, companyId: w.company.id, seq: (seq += 1), kind: 'PLAY_MESSAGE', payload: '{}', callId: randomUUID(), attemptId: null,
        createdAt: new Date(now - createdAgo), acknowledgedAt: acknowledgedAgo === null ? null : new Date(now - acknowledgedAgo),
        deliveredTo: null, deliveredAt: null, deliveries: 1, explicitAck: false,
      });
      return id;
    };
    const left = async (ids: string[]) => new Set((await repo().findBy({ id: In(ids) })).map((r) => r.id));

    it('deletes acknowledged rows older than the retention and outstanding ones older than a week, in batches, and keeps the recent ones', async () => {
      const old = [
        ...(await Promise.all([1, 2, 3, 4, 5].map(() => logged(PRUNING_DEFAULTS.acknowledgedRetentionMs + 2 * HOUR, PRUNING_DEFAULTS.acknowledgedRetentionMs + HOUR)))),
        await logged(PRUNING_DEFAULTS.outstandingRetentionMs + HOUR, null),
      ];
      const kept = [
        await logged(2 * HOUR, HOUR),
        // Logged long ago, acknowledged recently: kept for the retention after its acknowledgement.
        await logged(3 * 24 * HOUR, HOUR),
        await logged(PRUNING_DEFAULTS.outstandingRetentionMs - HOUR, null),
        await logged(0, null),
      ];
      expect((await left([...old, ...kept])).size).toBe(old.length + kept.length);
      // The job on the scheduler: six rows in batches of two, all in one pruning.
      await scheduler.advance(pruning.pruneEveryMs);
      await eventually(async () => (await left(old)).size === 0, 10_000, { what: 'the old rows pruned' });
      expect([...(await left(kept))].sort()).toEqual([...kept].sort());
    });

    it('prunes on several instances at once without failing, each old row deleted once', async () => {
      const old = await Promise.all(Array.from({ length: 7 }, () => logged(PRUNING_DEFAULTS.acknowledgedRetentionMs + HOUR, PRUNING_DEFAULTS.acknowledgedRetentionMs + 1)));
      const recent = await logged(HOUR, null);
      const instructions = t.gateway.services.instructions;
      // Three prunings at once, as three instances would run them (the one of this instance's job aside).
      const deleted = await Promise.all([instructions.prune(), instructions.prune(), instructions.prune()]);
      expect(deleted.reduce((x, y) => x + y, 0)).toBe(old.length);
      expect((await left(old)).size).toBe(0);
      expect([...(await left([recent]))]).toEqual([recent]);
    });
  });
});
