import type { DataSource, EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { DestinationScope } from '../auth/destination-scope';
import type { UserPrincipal } from '../auth/principal';
import { CallFlow, CallFlowNumber, CallFlowVersion, type StoredFlowNode } from '../entities/call-flow.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { Queue } from '../entities/queue.entity';
import { HolidayList, TimeRange } from '../entities/schedule.entity';
import { errors } from '../errors';
import { MAX_FLOW_NODES, validateFlow, type FlowNodeType } from '../routing/call-flow';
import { assertNameFree, checkExpectedVersion, findOwned, inTransaction, isId, listOwned, lockCompanyNames, updateVersioned, type Page, type PageArgs } from '../store/persistence';
import { keepHiddenDestinations, routesToHidden } from './flow-references';
import type { AuditTrail } from './audit-trail';
import { InputChecker } from '../input-checker';
import { checkContext } from '../engine/call-context';
import { systemScheduler } from '../platform/scheduler';

export interface CallFlowNodeFields {
  id: string;
  type: FlowNodeType;
  queueId?: string | null;
  externalDestinationId?: string | null;
  holidayListId?: string | null;
  timeRangeIds?: string[] | null;
  message?: string | null;
  waitSec?: number | null;
  context?: Array<{ key: string; value: string }> | null;
  branches?: Array<{ name: string; to: string }> | null;
}

export interface CallFlowFields {
  name: string;
  serviceNumbers: string[];
  nodes: CallFlowNodeFields[];
}

const MAX_NUMBERS = 50;

/** Drafts are saved as given (shape checked); publishing validates the whole graph (validateFlow). */
function checkDraft(input: CallFlowFields): { name: string; numbers: string[]; nodes: StoredFlowNode[] } {
  const c = new InputChecker();
  const name = c.name('name', input.name);
  if (input.serviceNumbers.length > MAX_NUMBERS) c.fail('serviceNumbers', `at most ${MAX_NUMBERS} numbers`);
  const numbers = input.serviceNumbers.map((n, i) => c.phoneNumber(`serviceNumbers[${i}]`, n) ?? '');
  const seen = new Set<string>();
  numbers.forEach((n, i) => {
    if (n !== '' && seen.has(n)) c.fail(`serviceNumbers[${i}]`, 'listed twice');
    seen.add(n);
  });
  if (input.nodes.length > MAX_FLOW_NODES) c.fail('nodes', `at most ${MAX_FLOW_NODES} nodes`);
  const nodes = input.nodes.map((n, i): StoredFlowNode => ({
    id: n.id,
    type: n.type,
    queueId: n.queueId ?? null,
    externalDestinationId: n.externalDestinationId ?? null,
    holidayListId: n.holidayListId ?? null,
    timeRangeIds: n.timeRangeIds ?? null,
    message: c.text(`nodes[${i}].message`, n.message, 500),
    waitSec: n.waitSec ?? null,
    context: n.context === null || n.context === undefined ? null : checkContext(c, n.context, `nodes[${i}].context`),
    branches: (n.branches ?? []).map((b) => ({ name: b.name, to: b.to })),
  }));
  for (const [i, n] of input.nodes.entries()) if (n.id.length < 1 || n.id.length > 64) c.fail(`nodes[${i}].id`, 'must be 1-64 characters');
  c.done();
  return { name, numbers, nodes };
}

export class CallFlowService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditTrail,
    private readonly now: () => number = systemScheduler.now,
  ) {}

  list(actor: UserPrincipal, page: PageArgs): Promise<Page<CallFlow>> {
    return listOwned(this.dataSource, CallFlow, actor.companyId, 'name', page);
  }

  get(actor: UserPrincipal, id: string): Promise<CallFlow> {
    return findOwned(this.dataSource.manager, CallFlow, actor.companyId, id, { what: 'Call flow' });
  }

  serviceNumbers(flowId: string): Promise<string[]> {
    return this.numbersOf(this.dataSource.manager, flowId);
  }

  private async numbersOf(m: EntityManager, flowId: string): Promise<string[]> {
    const rows = await m.getRepository(CallFlowNumber).find({ where: { callFlowId: flowId }, order: { number: 'ASC' } });
    return rows.map((r) => r.number);
  }

  async create(actor: UserPrincipal, input: CallFlowFields): Promise<CallFlow> {
    const draft = checkDraft(input);
    return inTransaction(this.dataSource, async (m) => {
      await assertNameFree(m, CallFlow, actor.companyId, 'name', draft.name, null, 'input.name');
      const nodes = keepHiddenDestinations(null, draft.nodes, this.canSee(actor));
      const flow = await m.getRepository(CallFlow).save(m.create(CallFlow, { companyId: actor.companyId, name: draft.name, draftNodes: nodes, publishedVersion: null }));
      await this.setNumbers(m, actor.companyId, flow.id, draft.numbers);
      this.audit.record(m, actor, { kind: 'CALL_FLOW', id: flow.id, action: 'CREATED', after: audited(flow, draft.numbers) });
      return flow;
    });
  }

  async update(actor: UserPrincipal, id: string, input: CallFlowFields, expectedVersion?: number | null): Promise<CallFlow> {
    const draft = checkDraft(input);
    return inTransaction(this.dataSource, async (m) => {
      await lockCompanyNames(m, actor.companyId); // names are compared under the company lock, taken first
      const current = await findOwned(m, CallFlow, actor.companyId, id, { what: 'Call flow', lock: 'write' });
      checkExpectedVersion(current.version, expectedVersion);
      await assertNameFree(m, CallFlow, actor.companyId, 'name', draft.name, current.id, 'input.name');
      // Nodes routing to destinations the editor cannot see keep them (decision 015).
      const nodes = keepHiddenDestinations(current.draftNodes, draft.nodes, this.canSee(actor));
      const numbers = await this.numbersOf(m, current.id);
      await updateVersioned(m, CallFlow, current.id, current.version, { name: draft.name, draftNodes: nodes });
      await this.setNumbers(m, actor.companyId, current.id, draft.numbers);
      const updated = await m.getRepository(CallFlow).findOneByOrFail({ id: current.id });
      this.audit.record(m, actor, { kind: 'CALL_FLOW', id: current.id, action: 'UPDATED', before: audited(current, numbers), after: audited(updated, draft.numbers) });
      return updated;
    });
  }

  /**
   * Validates the draft and makes it the next published version. Every problem is listed with its node;
   * references must be of the company and visible to the publisher (others read as not found). A publisher who
   * cannot see every destination the current published version routes to may not replace it (FORBIDDEN): that
   * would take a destination it cannot see out of what calls run.
   */
  async publish(actor: UserPrincipal, id: string, now = new Date(this.now())): Promise<CallFlow> {
    return inTransaction(this.dataSource, async (m) => {
      // The company first: a delete of something this version names (which takes it too) waits, or is seen.
      await lockCompanyNames(m, actor.companyId);
      const flow = await findOwned(m, CallFlow, actor.companyId, id, { what: 'Call flow', lock: 'write' });
      if ((await this.hiddenNodeOf(m, actor, flow, false)) !== null) {
        throw errors.forbidden('The published version routes to external destinations you cannot see; someone who can see them must publish this flow');
      }
      const graph = { nodes: flow.draftNodes };
      const problems = validateFlow(graph, await this.references(m, actor, flow.draftNodes));
      const numbers = await m.getRepository(CallFlowNumber).countBy({ callFlowId: flow.id });
      if (numbers === 0) problems.unshift({ nodeId: null, message: 'a published flow needs at least one service number' });
      if (problems.length > 0) throw errors.invalidFlow(problems);
      const version = (flow.publishedVersion ?? 0) + 1;
      await m.getRepository(CallFlowVersion).insert({ companyId: actor.companyId, callFlowId: flow.id, version, nodes: flow.draftNodes, publishedAt: now });
      await updateVersioned(m, CallFlow, flow.id, flow.version, { publishedVersion: version });
      const published = await m.getRepository(CallFlow).findOneByOrFail({ id: flow.id });
      const serviceNumbers = await this.numbersOf(m, flow.id);
      this.audit.record(m, actor, { kind: 'CALL_FLOW', id: flow.id, action: 'PUBLISHED', before: audited(flow, serviceNumbers), after: audited(published, serviceNumbers) });
      return published;
    });
  }

  /**
   * Deletes a flow, its versions and its service numbers. Like an update, a delete cannot remove references to
   * destinations the caller cannot see: a flow whose draft or published version routes to any is FORBIDDEN to it.
   */
  async delete(actor: UserPrincipal, id: string): Promise<string> {
    return inTransaction(this.dataSource, async (m) => {
      const flow = await findOwned(m, CallFlow, actor.companyId, id, { what: 'Call flow', lock: 'write' });
      if ((await this.hiddenNodeOf(m, actor, flow, true)) !== null) {
        throw errors.forbidden('The call flow routes to external destinations you cannot see; someone who can see them must delete it');
      }
      const numbers = await this.numbersOf(m, flow.id);
      await m.getRepository(CallFlow).delete({ id: flow.id });
      this.audit.record(m, actor, { kind: 'CALL_FLOW', id: flow.id, action: 'DELETED', before: audited(flow, numbers) });
      return flow.id;
    });
  }

  /** The published version new calls to `serviceNumber` run, or null when no published flow has that number. */
  async publishedFor(companyId: string, serviceNumber: string): Promise<CallFlowVersion | null> {
    const entry = await this.dataSource.getRepository(CallFlowNumber).findOneBy({ companyId, number: serviceNumber });
    if (entry === null) return null;
    const flow = await this.dataSource.getRepository(CallFlow).findOneBy({ id: entry.callFlowId });
    if (flow?.publishedVersion == null) return null;
    return this.dataSource.getRepository(CallFlowVersion).findOneBy({ callFlowId: flow.id, version: flow.publishedVersion });
  }

  /** Whether the caller may see a destination id of its company (decision 001's scope). */
  private canSee(actor: UserPrincipal): (destinationId: string) => boolean {
    const scope = DestinationScope.of(actor);
    return (destinationId) => scope.canSee({ id: destinationId, companyId: actor.companyId });
  }

  /** The id of a node of the current published version (and of the draft, when asked) routing to a destination hidden from the caller, or null. */
  private async hiddenNodeOf(m: EntityManager, actor: UserPrincipal, flow: CallFlow, draftToo: boolean): Promise<string | null> {
    const canSee = this.canSee(actor);
    const published = flow.publishedVersion === null ? null : await m.getRepository(CallFlowVersion).findOneBy({ callFlowId: flow.id, version: flow.publishedVersion });
    const nodes = [...(draftToo ? flow.draftNodes : []), ...(published?.nodes ?? [])];
    return nodes.find((n) => routesToHidden(n, canSee))?.id ?? null;
  }

  /** Which referenced ids exist in the company and are visible to the publisher. */
  private async references(m: EntityManager, actor: UserPrincipal, nodes: StoredFlowNode[]) {
    const ids = (pick: (n: StoredFlowNode) => Array<string | null | undefined>) => [...new Set(nodes.flatMap(pick).filter((x): x is string => !!x && isId(x)))];
    const owned = async <T extends { id: string }>(entity: new () => T, wanted: string[]) =>
      wanted.length === 0 ? [] : ((await m.getRepository(entity).findBy({ id: In(wanted), companyId: actor.companyId } as never)) as T[]);
    const scope = DestinationScope.of(actor);
    // One after another: inside a transaction every query shares one connection.
    const queues = await owned(Queue, ids((n) => [n.queueId]));
    const destinations = await owned(ExternalDestination, ids((n) => [n.externalDestinationId]));
    const timeRanges = await owned(TimeRange, ids((n) => n.timeRangeIds ?? []));
    const holidayLists = await owned(HolidayList, ids((n) => [n.holidayListId]));
    return {
      queues: new Set(queues.map((q) => q.id)),
      destinations: new Set(destinations.filter((d) => scope.canSee(d)).map((d) => d.id)),
      timeRanges: new Set(timeRanges.map((t) => t.id)),
      holidayLists: new Set(holidayLists.map((h) => h.id)),
    };
  }

  /** Replaces the flow's service numbers; a number of another flow of the company is CONFLICT. */
  private async setNumbers(m: EntityManager, companyId: string, flowId: string, numbers: string[]): Promise<void> {
    const taken = numbers.length === 0 ? [] : await m.getRepository(CallFlowNumber).findBy({ companyId, number: In(numbers) });
    const other = taken.find((t) => t.callFlowId !== flowId);
    if (other) {
      throw errors.conflict(`The service number ${other.number} already enters another call flow`, { field: `input.serviceNumbers[${numbers.indexOf(other.number)}]` });
    }
    await m.getRepository(CallFlowNumber).delete({ callFlowId: flowId });
    if (numbers.length > 0) await m.getRepository(CallFlowNumber).insert(numbers.map((number) => ({ companyId, callFlowId: flowId, number })));
  }
}

/** A flow as its audit entries keep it: the draft, its service numbers and the version published. */
function audited(flow: CallFlow, serviceNumbers: string[]) {
  return { name: flow.name, serviceNumbers, nodes: flow.draftNodes, publishedVersion: flow.publishedVersion };
}
