import type { DataSource } from 'typeorm';
import { Call, CallAttempt } from '../entities/call.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { destinationSnapshot } from '../engine/destination-snapshot';
import { OPEN_ATTEMPT } from '../engine/types';
import { destinationState } from '../routing/destination-state';
import type { LiveState } from '../store/live-state';
import type { ScrapeSources } from './metrics';

/** Calls that have not ended. */
const LIVE_CALL_STATES = ['QUEUED', 'OFFERING', 'CONNECTED'];

/**
 * What the scrape-time gauges read: counts of live calls and open attempts from the system of record (two
 * grouped counts over the state indexes), and each destination's state and slots from its configuration and
 * the live state, as routing sees them.
 */
export function scrapeSources(dataSource: DataSource, live: LiveState, now: () => number, sockets: ScrapeSources['sockets']): ScrapeSources {
  return {
    sockets,
    calls: async () => {
      const [calls, attempts] = await Promise.all([
        dataSource.getRepository(Call).createQueryBuilder('c').select('c.state', 'state').addSelect('COUNT(*)', 'count')
          .where('c.state IN (:...states)', { states: LIVE_CALL_STATES }).groupBy('c.state').getRawMany<{ state: string; count: string | number }>(),
        dataSource.getRepository(CallAttempt).createQueryBuilder('a').select('a.targetKind', 'target').addSelect('a.state', 'state').addSelect('COUNT(*)', 'count')
          .where('a.state IN (:...states)', { states: [...OPEN_ATTEMPT] }).groupBy('a.targetKind').addGroupBy('a.state')
          .getRawMany<{ target: string; state: string; count: string | number }>(),
      ]);
      return {
        calls: calls.map((r) => ({ state: r.state, count: Number(r.count) })),
        attempts: attempts.map((r) => ({ target: r.target, state: r.state, count: Number(r.count) })),
      };
    },
    timers: () => live.timers.pending(),
    destinations: async () => {
      const rows = await dataSource.getRepository(ExternalDestination).find({ order: { companyId: 'ASC', id: 'ASC' } });
      const byCompany = new Map<string, ExternalDestination[]>();
      for (const d of rows) {
        const list = byCompany.get(d.companyId);
        if (list === undefined) byCompany.set(d.companyId, [d]);
        else list.push(d);
      }
      const at = now();
      const figures = await Promise.all([...byCompany].map(async ([companyId, destinations]) => {
        const ids = destinations.map((d) => d.id);
        const [slots, health] = await Promise.all([live.capacity.countsMany(companyId, ids), live.health.getMany(companyId, ids)]);
        return destinations.map((d) => {
          const counts = slots.get(d.id)!;
          return {
            companyId, destinationId: d.id, state: destinationState(destinationSnapshot(d, counts, health.get(d.id)!), at),
            connecting: counts.connecting, active: counts.active, limit: d.maxSimultaneousCalls,
          };
        });
      }));
      return figures.flat();
    },
  };
}
