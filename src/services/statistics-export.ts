import { DateTime } from 'luxon';
import type { DataSource } from 'typeorm';
import { DestinationScope } from '../auth/destination-scope';
import type { UserPrincipal } from '../auth/principal';
import { Agent } from '../entities/agent.entity';
import { Company } from '../entities/company.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { Queue } from '../entities/queue.entity';
import { errors } from '../errors';
import type { StatisticsResourceKind } from '../limits';
import { StatisticsCsvWriter, type CsvResource } from '../statistics/csv';
import { INTERVAL_MS, type Range } from '../statistics/figures';
import type { StatisticsService } from './statistics.service';

/** Resources whose totals are read together. */
const TOTALS_BATCH = 50;
/** The part of a range whose intervals are read and written at once. */
const PART_MS = 7 * 86_400_000;

/** A range cut into weeks at quarter-hour boundaries (each of its intervals lies in one part). */
export function* weeksOf(range: Range): Generator<Range> {
  const aligned = Math.floor(range.from / INTERVAL_MS) * INTERVAL_MS;
  for (let start = range.from; start < range.to;) {
    const end = Math.min(range.to, aligned + (Math.floor((start - aligned) / PART_MS) + 1) * PART_MS);
    yield { from: start, to: end, now: range.now };
    start = end;
  }
}

/** An export checked and ready to stream: its file name and its CSV text, piece by piece. */
export interface PreparedExport {
  filename: string;
  pieces(): AsyncGenerator<string>;
}

/**
 * The statistics CSV as a stream (docs/decisions/027-statistics-export.md): the same figures, columns, visibility
 * and escaping as `statisticsCsv`, read a few resources at a time and written as pieces of at most
 * CSV_PIECE_ROWS records, so no row bound applies and no piece holds the event loop for long. Everything that
 * can refuse the export (the range, a concurrent export too many) is checked by `prepare`, before the first byte.
 */
export class StatisticsExport {
  private running = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly statistics: StatisticsService,
    /** Exports streaming at once on this instance; one more is refused with TOO_MANY_REQUESTS. */
    private readonly maxConcurrent = 2,
  ) {}

  async prepare(user: UserPrincipal, kind: StatisticsResourceKind, range: Range, perInterval: boolean, serviceLevelSec: number): Promise<PreparedExport> {
    if (this.running >= this.maxConcurrent) throw errors.tooManyRequests(`At most ${this.maxConcurrent} statistics exports run at once`, 5);
    const [company, resources] = await Promise.all([
      this.dataSource.getRepository(Company).findOneByOrFail({ id: user.companyId }),
      this.resources(user, kind),
    ]);
    // The days as the company reads them, like the bounds inside the file.
    const day = (ms: number) => DateTime.fromMillis(ms, { zone: company.timeZone }).toISODate()!;
    const filename = `statistics-${kind.toLowerCase()}-${day(range.from)}-${day(range.to - 1)}${perInterval ? '-intervals' : ''}.csv`;
    const self = this;
    async function* pieces(): AsyncGenerator<string> {
      // Counted while it streams: from its first piece asked for to its end, however it ends.
      self.running += 1;
      try {
        const writer = new StatisticsCsvWriter(range, company.timeZone, perInterval);
        if (perInterval) {
          // One resource at a time, a week of its intervals at a time: no read or computation holds the loop
          // for a whole 93-day range (an interval's figures depend on that interval alone).
          for (const resource of resources) {
            for (const part of weeksOf(range)) {
              yield* writer.pieces(await self.figures(user.companyId, kind, [resource], part, true, serviceLevelSec));
            }
          }
        } else {
          for (let i = 0; i < resources.length; i += TOTALS_BATCH) {
            yield* writer.pieces(await self.figures(user.companyId, kind, resources.slice(i, i + TOTALS_BATCH), range, false, serviceLevelSec));
          }
        }
        const end = writer.end();
        if (end !== '') yield end;
      } finally {
        self.running -= 1;
      }
    }
    return { filename, pieces };
  }

  /** What of `kind` the user may see, by name. */
  private async resources(user: UserPrincipal, kind: StatisticsResourceKind): Promise<Array<{ id: string; name: string }>> {
    const where = { companyId: user.companyId };
    const order = { name: 'ASC' as const, id: 'ASC' as const };
    if (kind === 'DESTINATIONS') {
      const scope = DestinationScope.of(user);
      return (await this.dataSource.getRepository(ExternalDestination).find({ where, order })).filter((d) => scope.canSee(d));
    }
    const entity = kind === 'AGENTS' ? Agent : Queue;
    return this.dataSource.getRepository<{ id: string; name: string; companyId: string }>(entity).find({ where, order, select: { id: true, name: true } });
  }

  private async figures(
    companyId: string, kind: StatisticsResourceKind, rows: ReadonlyArray<{ id: string; name: string }>, range: Range, intervals: boolean, serviceLevelSec: number,
  ): Promise<CsvResource[]> {
    const options = { intervals };
    return kind === 'DESTINATIONS' ? this.statistics.destinationFigures(companyId, rows, range, options)
      : kind === 'AGENTS' ? this.statistics.agentFigures(companyId, rows, range, options)
        : this.statistics.queueFigures(companyId, rows, range, serviceLevelSec, options);
  }
}
