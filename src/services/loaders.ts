import DataLoader from 'dataloader';
import type { ExternalDestination } from '../entities/external-destination.entity';
import type { AgentLive } from '../store/agent-state-store';
import type { DestinationLive, ExternalDestinationService } from './external-destination.service';
import type { LiveState } from '../store/live-state';
import type { Range } from '../statistics/figures';
import type { Named as NamedFigures, StatisticsService } from './statistics.service';

/**
 * Loaders of one request (never shared between requests or users: they cache what one caller read): live
 * state and today's figures, batched per request. Configuration comes from the company held in memory.
 */
export function createLoaders(live: LiveState, companyId: string | null, destinations: ExternalDestinationService, statistics: StatisticsService) {
  /** Today's figures of many resources of one kind from one read of their records. */
  const today = <F>(figures: (companyId: string, rows: ReadonlyArray<{ id: string; name: string }>, range: Range) => Promise<Array<NamedFigures<F>>>) =>
    new DataLoader<{ id: string; name: string }, { named: NamedFigures<F>; range: Range }, string>(async (rows) => {
      if (companyId === null) return rows.map(() => new Error('no company'));
      const range = await statistics.today(companyId);
      return (await figures(companyId, rows, range)).map((named) => ({ named, range }));
    }, { cacheKeyFn: (r) => r.id });
  /** Live states this request has read already, by destination: a field asking for one again gets it at once. */
  const destinationLiveRead = new Map<string, DestinationLive>();
  // Each loader is made when a request first uses it: most requests use one or none.
  return lazily({
    destinationLiveRead: () => destinationLiveRead as ReadonlyMap<string, DestinationLive>,
    todayDestinationStats: () => today((c, rows, range) => statistics.destinationFigures(c, rows, range)),
    todayAgentStats: () => today((c, rows, range) => statistics.agentFigures(c, rows, range)),
    todayQueueStats: () => today((c, rows, range) => statistics.queueFigures(c, rows, range)),
    destinationLive: () => new DataLoader<ExternalDestination, DestinationLive, string>(
      async (rows) => {
        if (companyId === null) return rows.map(() => new Error('no company'));
        const states = await destinations.liveStates(companyId, rows);
        for (const state of states) destinationLiveRead.set(state.destinationId, state);
        return states;
      },
      { cacheKeyFn: (d) => d.id },
    ),
    agentLive: () => new DataLoader<string, AgentLive>(async (agentIds) => {
      const map = companyId === null ? new Map<string, AgentLive>() : await live.agents.getMany(companyId, agentIds);
      return agentIds.map((id) => map.get(id)!);
    }),
  });
}

/** An object whose properties are made by their factories on first read, then kept. */
function lazily<T extends Record<string, unknown>>(factories: { [K in keyof T]: () => T[K] }): T {
  const made = {} as T;
  for (const key of Object.keys(factories) as Array<keyof T>) {
    Object.defineProperty(made, key, {
      enumerable: true,
      configurable: true,
      get: () => {
        const value = factories[key]();
        Object.defineProperty(made, key, { value, enumerable: true });
        return value;
      },
    });
  }
  return made;
}

export type Loaders = ReturnType<typeof createLoaders>;
