import type { DataSource, EntityManager } from 'typeorm';
import type { UserPrincipal } from '../auth/principal';
import { AgentGroup } from '../entities/agent-group.entity';
import { Queue, QUEUE_LIMITS, QueueGroup } from '../entities/queue.entity';
import { errors } from '../errors';
import type { LiveModels } from '../live/live-models';
import type { ModelChanges } from '../live/model-changes';
import type { AuditTrail } from './audit-trail';
import {
  assertNameFree, checkExpectedVersion, findAllOwned, findOwned, canonicalId, inTransaction, pageOfRows, updateVersioned, type Page, type PageArgs,
} from '../store/persistence';
import { flowsUsing, usedByFlows } from './flow-references';
import { InputChecker } from '../input-checker';

export interface OverflowFields {
  queueLengthAbove?: number | null;
  oldestWaitAboveSec?: number | null;
  noAgentsLoggedIn?: boolean | null;
}

export interface QueueGroupFields {
  groupId: string;
  overflow?: OverflowFields | null;
}

export interface QueueFields {
  name: string;
  groups: QueueGroupFields[];
  agentRingTimeoutSec?: number | null;
  agentRetrySec?: number | null;
  wrapUpSec?: number | null;
  maxQueueLength?: number | null;
  maxWaitSec?: number | null;
  returnedCallsToExternal?: boolean | null;
}

const SETTINGS = ['agentRingTimeoutSec', 'agentRetrySec', 'wrapUpSec', 'maxQueueLength', 'maxWaitSec'] as const;
type Settings = Record<(typeof SETTINGS)[number], number> & { returnedCallsToExternal: boolean };
type Overflow = Pick<QueueGroup, 'queueLengthAbove' | 'oldestWaitAboveSec' | 'noAgentsLoggedIn'>;

/** Validates settings (absent keeps the current value, or the default) and the 1-5 groups' overflow rules. */
function checkQueue(input: QueueFields, current: Queue | null): { name: string; settings: Settings; overflows: Overflow[] } {
  const c = new InputChecker();
  const name = c.name('name', input.name);
  const settings = {} as Settings;
  for (const key of SETTINGS) settings[key] = c.int(key, input[key] ?? current?.[key] ?? QUEUE_LIMITS[key].default, QUEUE_LIMITS[key]);
  settings.returnedCallsToExternal = input.returnedCallsToExternal ?? current?.returnedCallsToExternal ?? false;
  const { min, max } = QUEUE_LIMITS.groups;
  if (input.groups.length < min || input.groups.length > max) c.fail('groups', `must list ${min} to ${max} groups in priority order`);
  const overflows = input.groups.map((g, i): Overflow => {
    const o = g.overflow ?? {};
    const field = `groups[${i}].overflow`;
    const rule: Overflow = {
      queueLengthAbove: c.optionalInt(`${field}.queueLengthAbove`, o.queueLengthAbove, QUEUE_LIMITS.queueLengthAbove),
      oldestWaitAboveSec: c.optionalInt(`${field}.oldestWaitAboveSec`, o.oldestWaitAboveSec, QUEUE_LIMITS.oldestWaitAboveSec),
      noAgentsLoggedIn: o.noAgentsLoggedIn ?? false,
    };
    const hasCondition = rule.queueLengthAbove !== null || rule.oldestWaitAboveSec !== null || rule.noAgentsLoggedIn;
    if (i === 0 && hasCondition) c.fail(field, 'the first group always receives the queue\'s calls and takes no overflow conditions');
    if (i > 0 && !hasCondition) c.fail(field, 'groups 2-5 need at least one overflow condition');
    return rule;
  });
  c.done();
  return { name, settings, overflows };
}

export class QueueService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly models: LiveModels,
    private readonly changes: ModelChanges,
    private readonly audit: AuditTrail,
  ) {}

  /** One page of the company's queues, by name (from memory). */
  async list(actor: UserPrincipal, page: PageArgs): Promise<Page<Queue>> {
    return pageOfRows((await this.models.get(actor.companyId)).queuesByName(), page);
  }

  /** One queue, or NOT_FOUND (from memory). */
  async get(actor: UserPrincipal, id: string): Promise<Queue> {
    const queue = (await this.models.get(actor.companyId)).queues.get(canonicalId(id));
    if (queue === undefined) throw errors.notFound('Queue');
    return queue.row;
  }

  async create(actor: UserPrincipal, input: QueueFields): Promise<Queue> {
    const { name, settings, overflows } = checkQueue(input, null);
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      await assertNameFree(m, Queue, actor.companyId, 'name', name, null, 'input.name');
      const groups = await this.groupsOf(m, actor, input, overflows);
      const saved = await m.getRepository(Queue).save(m.create(Queue, { companyId: actor.companyId, name, ...settings, groups }));
      changed.add('queue', saved.id);
      this.audit.record(m, actor, { kind: 'QUEUE', id: saved.id, action: 'CREATED', after: saved });
      return saved;
    });
  }

  async update(actor: UserPrincipal, id: string, input: QueueFields, expectedVersion?: number | null): Promise<Queue> {
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, Queue, actor.companyId, id, { what: 'Queue', lock: 'write', relations: { groups: true } });
      changed.add('queue', current.id);
      checkExpectedVersion(current.version, expectedVersion);
      const { name, settings, overflows } = checkQueue(input, current);
      await assertNameFree(m, Queue, actor.companyId, 'name', name, current.id, 'input.name');
      const groups = await this.groupsOf(m, actor, input, overflows);
      await updateVersioned(m, Queue, current.id, current.version, { name, ...settings });
      await m.getRepository(QueueGroup).delete({ queueId: current.id });
      await m.getRepository(QueueGroup).save(groups.map((g) => ({ ...g, queueId: current.id })));
      this.audit.record(m, actor, { kind: 'QUEUE', id: current.id, action: 'UPDATED', before: current, after: { name, ...settings, groups } });
      return m.getRepository(Queue).findOneByOrFail({ id: current.id });
    });
  }

  /**
   * Deletes a queue that no call flow uses; CONFLICT names the flows that still do (a draft, a published version
   * or a version a call in progress runs, see flowsUsing) as [{id, name}] in `extensions.callFlows`.
   */
  async delete(actor: UserPrincipal, id: string): Promise<string> {
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, Queue, actor.companyId, id, { what: 'Queue', lock: 'write', relations: { groups: true } });
      changed.add('queue', current.id);
      const flows = await flowsUsing(m, actor.companyId, 'queue', current.id);
      if (flows.length > 0) throw usedByFlows('The queue', flows);
      await m.getRepository(Queue).delete({ id: current.id });
      this.audit.record(m, actor, { kind: 'QUEUE', id: current.id, action: 'DELETED', before: current });
      return current.id;
    });
  }

  private async groupsOf(m: EntityManager, actor: UserPrincipal, input: QueueFields, overflows: Overflow[]): Promise<QueueGroup[]> {
    const ids = input.groups.map((g) => g.groupId);
    const groups = await findAllOwned(m, AgentGroup, actor.companyId, ids, 'Agent group', (i) => `input.groups[${i}].groupId`);
    return groups.map((group, i) => m.create(QueueGroup, { groupId: group.id, priority: i + 1, ...overflows[i]! }));
  }
}
