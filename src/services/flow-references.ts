import type { EntityManager } from 'typeorm';
import { Call } from '../entities/call.entity';
import { CallFlow, CallFlowVersion, type StoredFlowNode } from '../entities/call-flow.entity';
import { errors } from '../errors';
import { compareCodePoints } from '../platform/code-point-order';
import { canonicalId } from '../store/persistence';

/** What a flow node can refer to by id. */
export type FlowReferenceKind = 'destination' | 'queue' | 'timeRange' | 'holidayList';

/** The ids of one kind a node refers to, in their one spelling (lower case). */
export function nodeReferences(node: Pick<StoredFlowNode, 'externalDestinationId' | 'queueId' | 'timeRangeIds' | 'holidayListId'>, kind: FlowReferenceKind): string[] {
  const ids = kind === 'destination' ? [node.externalDestinationId]
    : kind === 'queue' ? [node.queueId]
      : kind === 'holidayList' ? [node.holidayListId]
        : (node.timeRangeIds ?? []);
  return ids.filter((id): id is string => typeof id === 'string' && id !== '').map(canonicalId);
}

/** A flow named by a where-used answer. */
export interface FlowUse {
  id: string;
  name: string;
}

/**
 * The company's call flows that still use `id` (a destination, queue, time range or holiday list), by name:
 * a flow counts when its draft names it (the draft is what the next publish makes live), when its current
 * published version does (what new calls run), or when a version that a call still in progress runs does
 * (that call may yet reach the node). Older versions that no call runs any more do not count: nothing can
 * reach them. Call inside the transaction that deletes, after locking what is deleted.
 */
export async function flowsUsing(m: EntityManager, companyId: string, kind: FlowReferenceKind, id: string): Promise<FlowUse[]> {
  const wanted = canonicalId(id);
  // The JSON text must hold the id (in any letter case) for a node to name it; the nodes then say for sure.
  const like = `%"${wanted}"%`;
  const uses = (nodes: StoredFlowNode[] | null | undefined) => (nodes ?? []).some((n) => nodeReferences(n, kind).includes(wanted));
  const found = new Map<string, string>();

  const drafts = await m.getRepository(CallFlow).createQueryBuilder('f')
    .select(['f.id', 'f.name', 'f.draftNodes'])
    .where('f.companyId = :companyId AND LOWER(f.draftNodes) LIKE :like', { companyId, like })
    .getMany();
  for (const flow of drafts) if (uses(flow.draftNodes)) found.set(flow.id, flow.name);

  // Versions calls still in progress run (few: calls start on the current version, so older ones drain).
  const running = (await m.getRepository(Call).createQueryBuilder('c')
    .select('c.flowVersionId', 'id').distinct(true)
    .where('c.companyId = :companyId AND c.endedAt IS NULL AND c.flowVersionId IS NOT NULL', { companyId })
    .getRawMany<{ id: string }>()).map((r) => r.id);
  const versions = await m.getRepository(CallFlowVersion).createQueryBuilder('v')
    .innerJoin(CallFlow, 'f', 'f.id = v.callFlowId')
    .select('f.id', 'flowId').addSelect('f.name', 'name').addSelect('v.nodes', 'nodes')
    .where('v.companyId = :companyId AND LOWER(v.nodes) LIKE :like', { companyId, like })
    .andWhere(running.length === 0 ? 'v.version = f.publishedVersion' : '(v.version = f.publishedVersion OR v.id IN (:...running))', { running })
    .getRawMany<{ flowId: string; name: string; nodes: string | StoredFlowNode[] }>();
  for (const v of versions) {
    const nodes = typeof v.nodes === 'string' ? (JSON.parse(v.nodes) as StoredFlowNode[]) : v.nodes;
    if (uses(nodes)) found.set(v.flowId, v.name);
  }
  return [...found].map(([flowId, name]) => ({ id: flowId, name })).sort((a, b) => compareCodePoints(a.name, b.name) || compareCodePoints(a.id, b.id));
}

/** CONFLICT naming the flows that use what was to be deleted, in `extensions.callFlows` ([{id, name}]). */
export function usedByFlows(what: string, flows: FlowUse[]) {
  return errors.conflict(`${what} is used by call flows: ${flows.map((f) => f.name).join(', ')}`, { callFlows: flows });
}

/**
 * Whether a node routes to an external destination the reader may not see (a destination outside its profile
 * reads like a missing one, so an id that names nothing counts as hidden too, and reveals nothing).
 */
export function routesToHidden(node: Pick<StoredFlowNode, 'externalDestinationId'>, canSee: (destinationId: string) => boolean): boolean {
  return !!node.externalDestinationId && !canSee(canonicalId(node.externalDestinationId));
}

/**
 * An editor's new draft, with the references it cannot see kept as they are (what you cannot see, you cannot
 * remove; decision 015). A node of the current draft that routes to a destination hidden from the editor is read
 * by it with `externalDestinationId: null`; sent back with the same id and type and a null (or the same)
 * destination, it keeps that destination, and its other fields (the branches the editor sees) take the new
 * values. Re-pointing such a node, changing its type or leaving it out would drop the reference: FORBIDDEN. A
 * destination the editor cannot see named anywhere else is NOT_FOUND, as when adding one to a group.
 */
export function keepHiddenDestinations(current: readonly StoredFlowNode[] | null, next: StoredFlowNode[], canSee: (destinationId: string) => boolean): StoredFlowNode[] {
  const hidden = new Map<string, StoredFlowNode>();
  for (const node of current ?? []) if (routesToHidden(node, canSee) && !hidden.has(node.id)) hidden.set(node.id, node);
  const cannot = (nodeId: string, what: string) =>
    errors.forbidden(`Node "${nodeId}" routes to an external destination you cannot see: you cannot ${what}; someone who can see it must`);
  const kept = next.map((node, i) => {
    const was = hidden.get(node.id);
    if (was !== undefined) {
      if (node.type !== was.type) throw cannot(node.id, 'change its type');
      if (node.externalDestinationId && canonicalId(node.externalDestinationId) !== canonicalId(was.externalDestinationId!)) throw cannot(node.id, 'point it elsewhere');
      return { ...node, externalDestinationId: was.externalDestinationId };
    }
    if (routesToHidden(node, canSee)) throw errors.notFound('External destination', `input.nodes[${i}].externalDestinationId`);
    return node;
  });
  const present = new Set(next.map((n) => n.id));
  for (const nodeId of hidden.keys()) if (!present.has(nodeId)) throw cannot(nodeId, 'remove the node');
  return kept;
}
