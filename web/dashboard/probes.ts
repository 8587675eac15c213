import { clockSeconds, count, dayLabel, localDate } from './format';
import type { DestinationState, ProbeSettings, ProbeStatus } from './queries';

/*
 * A destination's health probe in words (decision 037): "Health probe: probing every 30 s; last probe succeeded
 * 12:03:10; 1 of 2 successes to resume". The settings come with the destination's reads; where probing stands
 * (probing now, the latest probe, successes in a row) from its probe read, asked for when its live update arrives
 * (probe sent, probe ended, back-off or suspension begun or ended all publish one).
 */

const OUTCOME: Record<NonNullable<NonNullable<ProbeStatus['lastProbe']>['outcome']>, string> = {
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  TIMED_OUT: 'timed out',
};

/** An instant as the company's clock shows it ("12:03:10"), with its day when it is not today ("Tue 1 Dec 12:03:10"). */
function when(at: string, zone: string, now: number): string {
  const instant = new Date(at);
  const day = localDate(instant, zone);
  const time = clockSeconds(instant, zone);
  return day === localDate(new Date(now), zone) ? time : `${dayLabel(day)} ${time}`;
}

/**
 * The line shown under a destination's name; empty without a probe (nothing changes for such a destination).
 * `status` is undefined until the first probe read of the destination answered (the settings alone then).
 */
export function probeText(probe: ProbeSettings, status: ProbeStatus | undefined, state: DestinationState, zone: string, now: number): string {
  if (probe === null) return '';
  const parts = [status?.probing ? `probing every ${probe.intervalSec} s` : `every ${probe.intervalSec} s while backed off or suspended`];
  const last = status?.lastProbe ?? null;
  if (last !== null) {
    parts.push(last.outcome === null ? `last probe sent ${when(last.sentAt, zone, now)}, no outcome yet` : `last probe ${OUTCOME[last.outcome]} ${when(last.sentAt, zone, now)}`);
  }
  // One success ends a back-off; only a suspension needs several in a row.
  if (status?.probing && state === 'SUSPENDED') parts.push(`${status.consecutiveSuccesses} of ${count(probe.successesToResume, 'success', 'successes')} to resume`);
  return `Health probe: ${parts.join('; ')}`;
}

/** The probe's settings in full, as the line's title. */
export function probeTitle(probe: ProbeSettings): string {
  if (probe === null) return '';
  return `A test call every ${probe.intervalSec} s while backed off or suspended, failed after ${probe.timeoutSec} s without an answer; `
    + `one success ends a back-off, ${count(probe.successesToResume, 'success', 'successes')} in a row resume a suspension`;
}
