import { once, type EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { authorize, userOf } from '../auth/authorize';
import type { Principal } from '../auth/principal';
import { errors, loggableError, type InputProblem } from '../errors';
import type { StatisticsResourceKind } from '../limits';
import { TimeSlicer } from '../platform/time-slice';
import type { StatisticsExport } from '../services/statistics-export';
import { STATISTICS_SLICE_MS } from '../services/statistics.service';
import type { Range } from '../statistics/figures';
import { downloadErrorAnswer } from './error-mapping';

/** Where the export is served. */
export const STATISTICS_EXPORT_PATH = '/exports/statistics.csv';

const KINDS: readonly StatisticsResourceKind[] = ['DESTINATIONS', 'AGENTS', 'QUEUES'];
/** The default and bounds of `serviceLevelSec`, as the GraphQL argument has them. */
const SERVICE_LEVEL = { default: 20, min: 0, max: 3600 };

export interface StatisticsExportDeps {
  /** The principal of an Authorization header, exactly as GraphQL requests are authenticated (throttling included). */
  authenticate(authorization: string | undefined, address: string | null): Promise<Principal | null>;
  /** The range checks of the statistics (at most 93 days, `to` after `from`). */
  range(from: Date, to: Date): Range;
  exports: StatisticsExport;
  logger: Logger;
}

/** The export's arguments from the query string, or every problem with them (BAD_USER_INPUT naming each). */
function argumentsOf(query: Request['query']): { kind: StatisticsResourceKind; from: Date; to: Date; perInterval: boolean; serviceLevelSec: number } {
  const problems: InputProblem[] = [];
  const one = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined || typeof value === 'string') return value;
    problems.push({ field: name, message: 'must be given once' });
    return undefined;
  };
  const kindText = one('kind');
  const kind = KINDS.find((k) => k === kindText);
  if (kind === undefined) problems.push({ field: 'kind', message: `must be one of ${KINDS.join(', ')}` });
  const date = (name: string): Date => {
    const text = one(name);
    const ms = text === undefined ? Number.NaN : Date.parse(text);
    if (Number.isNaN(ms)) problems.push({ field: name, message: 'must be a date-time, e.g. 2026-11-01T00:00:00Z' });
    return new Date(ms);
  };
  const from = date('from');
  const to = date('to');
  const perIntervalText = one('perInterval') ?? 'false';
  if (perIntervalText !== 'true' && perIntervalText !== 'false') problems.push({ field: 'perInterval', message: 'must be true or false' });
  const levelText = one('serviceLevelSec');
  const serviceLevelSec = levelText === undefined ? SERVICE_LEVEL.default : Number(levelText);
  if (!Number.isInteger(serviceLevelSec) || serviceLevelSec < SERVICE_LEVEL.min || serviceLevelSec > SERVICE_LEVEL.max) {
    problems.push({ field: 'serviceLevelSec', message: `must be a whole number from ${SERVICE_LEVEL.min} to ${SERVICE_LEVEL.max}` });
  }
  if (problems.length > 0) throw errors.badInput(problems, true);
  return { kind: kind!, from, to, perInterval: perIntervalText === 'true', serviceLevelSec };
}

/** Until the stream drained or closed; the listener of the event that did not come is removed. */
export async function drainedOrClosed(res: EventEmitter): Promise<void> {
  const abort = new AbortController();
  try {
    await Promise.race([once(res, 'drain', { signal: abort.signal }), once(res, 'close', { signal: abort.signal })]);
  } finally {
    abort.abort();
  }
}

/**
 * GET the statistics CSV as a download that streams (decision 027): authenticated by the same Authorization
 * header as GraphQL, for users with VIEW on statistics, with the visibility of `statisticsCsv`. A refusal
 * before the first byte is the coded JSON error of the error mapping; a failure once streaming ends the
 * response early (the client sees an incomplete transfer), and is logged. The response waits for the client
 * to drain what it was sent, and gives the event loop a turn whenever a slice of work is used up.
 */
export function statisticsExportHandler(deps: StatisticsExportDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    let started = false;
    let gone = false;
    res.on('close', () => {
      gone = !res.writableFinished;
    });
    try {
      const principal = await deps.authenticate(req.headers.authorization, req.socket.remoteAddress ?? null);
      authorize(principal, ['statistics:VIEW']);
      const user = userOf(principal);
      const args = argumentsOf(req.query);
      const range = deps.range(args.from, args.to);
      const prepared = await deps.exports.prepare(user, args.kind, range, args.perInterval, args.serviceLevelSec);
      res.status(200).set({
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${prepared.filename}"`,
        'cache-control': 'no-store',
      });
      started = true;
      const slicer = new TimeSlicer(STATISTICS_SLICE_MS);
      const pieces = prepared.pieces();
      try {
        for await (const piece of pieces) {
          if (gone) break;
          if (!res.write(piece)) await drainedOrClosed(res);
          await slicer.pause();
        }
      } finally {
        await pieces.return(undefined);
      }
      if (!gone) res.end();
    } catch (error) {
      if (started) {
        deps.logger.error({ err: loggableError(error) }, 'a statistics export failed while streaming (the response was cut short)');
        res.destroy();
        return;
      }
      const answer = downloadErrorAnswer(error, (internal) => deps.logger.error({ err: loggableError(internal) }, 'a statistics export failed'));
      for (const [name, value] of answer.headers) res.set(name, value);
      res.status(answer.status).json(answer.body);
    }
  };
}
