import DataLoader from 'dataloader';
import type { ExternalDestination } from '../entities/external-destination.entity';
import type { AgentLive } from '../store/agent-state-store';
import type { DestinationLive, ExternalDestinationService } from './external-destination.service';
import type { LiveState } from '../store/live-state';
import type { Range } from '../statistics/figures';
import type { Named as NamedFigures, StatisticsService } from './statistics.service';

type Figures<F> = (companyId: string, rows: ReadonlyArray<{ id: string; name: string }>, range: Range) => Promise<Array<NamedFigures<F>>>;
type TodayLoader<F> = DataLoader<{ id: string; name: string }, { named: NamedFigures<F>; range: Range }, string>;

/**
 * Loaders of one request (never shared between requests or users: they cache what one caller read): live
 * state and today's figures, batched per request. Configuration comes from the company held in memory.
 * Each loader is made when the request first uses it: most requests use one or none.
 */
export class Loaders {
  /** Live states this request has read already, by destination: a field asking for one again gets it at once. */
  readonly destinationLiveRead = new Map<string, DestinationLive>();
  private made: {
    destinationLive?: DataLoader<ExternalDestination, DestinationLive, string>;
    agentLive?: DataLoader<string, AgentLive>;
    todayDestinationStats?: TodayLoader<unknown>;
    todayAgentStats?: TodayLoader<unknown>;
    todayQueueStats?: TodayLoader<unknown>;
  } = {};

  constructor(
    private readonly live: LiveState,
    private readonly companyId: string | null,
    private readonly destinations: ExternalDestinationService,
    private readonly statistics: StatisticsService,
  ) {}

  /** What this request has read once by key, for the fields that ask again (one answer, one read). */
  private readonly readOnce = new Map<string, Promise<unknown>>();

  /** `read()` once per request and key: every field asking for the same gets the same answer. */
  once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let found = this.readOnce.get(key) as Promise<T> | undefined;
    if (found === undefined) this.readOnce.set(key, (found = read()));
    return found;
  }

  /** Reads the live states of a page of destinations in one batch, for its nodes' `live` fields to find. */
  async prefetchDestinationLive(rows: readonly ExternalDestination[]): Promise<void> {
    if (this.companyId === null) return;
    for (const state of await this.destinations.liveStates(this.companyId, rows)) this.destinationLiveRead.set(state.destinationId, state);
  }

  get destinationLive(): DataLoader<ExternalDestination, DestinationLive, string> {
    return (this.made.destinationLive ??= new DataLoader<ExternalDestination, DestinationLive, string>(
      async (rows) => {
        if (this.companyId === null) return rows.map(() => new Error('no company'));
        const states = await this.destinations.liveStates(this.companyId, rows);
        for (const state of states) this.destinationLiveRead.set(state.destinationId, state);
        return states;
      },
      { cacheKeyFn: (d) => d.id },
    ));
  }

  get agentLive(): DataLoader<string, AgentLive> {
    return (this.made.agentLive ??= new DataLoader<string, AgentLive>(async (agentIds) => {
      const map = this.companyId === null ? new Map<string, AgentLive>() : await this.live.agents.getMany(this.companyId, agentIds);
      return agentIds.map((id) => map.get(id)!);
    }));
  }

  get todayDestinationStats() {
    return this.today('todayDestinationStats', (c, rows, range) => this.statistics.destinationFigures(c, rows, range));
  }

  get todayAgentStats() {
    return this.today('todayAgentStats', (c, rows, range) => this.statistics.agentFigures(c, rows, range));
  }

  get todayQueueStats() {
    return this.today('todayQueueStats', (c, rows, range) => this.statistics.queueFigures(c, rows, range));
  }

  /** Today's figures of many resources of one kind from one read of their records. */
  private today<F>(name: 'todayDestinationStats' | 'todayAgentStats' | 'todayQueueStats', figures: Figures<F>): TodayLoader<F> {
    const made = this.made[name] as TodayLoader<F> | undefined;
    if (made !== undefined) return made;
    const loader: TodayLoader<F> = new DataLoader(async (rows) => {
      if (this.companyId === null) return rows.map(() => new Error('no company'));
      const range = await this.statistics.today(this.companyId);
      return (await figures(this.companyId, rows, range)).map((named) => ({ named, range }));
    }, { cacheKeyFn: (r) => r.id });
    this.made[name] = loader as TodayLoader<unknown>;
    return loader;
  }
}

export function createLoaders(live: LiveState, companyId: string | null, destinations: ExternalDestinationService, statistics: StatisticsService): Loaders {
  return new Loaders(live, companyId, destinations, statistics);
}
