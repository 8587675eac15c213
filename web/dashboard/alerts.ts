import { el } from './dom';
import { clockSeconds, count, duration } from './format';
import type { Alert, AlertKind, AlertThresholds } from './queries';

/** No thresholds: nothing is coloured until the first read. */
export const NO_THRESHOLDS: AlertThresholds = { queueOldestWaitSec: null, queueServiceLevelBelow: null, destinationBackoffs: null, destinationBackoffWindowMin: null };

const KIND_TEXT: Record<AlertKind, string> = {
  QUEUE_OLDEST_WAIT: 'Oldest wait',
  QUEUE_SERVICE_LEVEL: 'Service level',
  DESTINATION_BACKOFFS: 'Back-offs',
};

export interface AlertsViewOptions {
  /** A queue's or destination's name, or null when this page does not know it (not loaded, or not visible). */
  queueName(id: string): string | null;
  destinationName(id: string): string | null;
  /** The destinations with a back-off alert raised now changed (their rows are flagged). */
  destinationsFlagged(flags: Map<string, string>): void;
  announce(message: string): void;
  timeZone: string;
}

export const keyOf = (a: Pick<Alert, 'kind' | 'queueId' | 'destinationId'>): string => `${a.kind}:${a.queueId ?? a.destinationId ?? ''}`;

/** "41 s, over 30 s" / "62 %, below 80 %" / "3 back-offs, at least 2". */
export function valueText(a: Alert): string {
  switch (a.kind) {
    case 'QUEUE_OLDEST_WAIT':
      return `waited ${duration(a.value)}, over ${a.threshold} s`;
    case 'QUEUE_SERVICE_LEVEL':
      return `${Math.round(a.value * 100)} %, below ${Math.round(a.threshold * 100)} %`;
    case 'DESTINATION_BACKOFFS':
      return `${count(a.value, 'back-off')}, alert at ${a.threshold}`;
  }
}

/**
 * The alerts raised now (from `activeAlerts`, then the `alerts` subscription) as a small list above the tables:
 * kind, queue or destination by name, value against threshold, since when. A clear removes its line.
 */
export class AlertsView {
  private readonly alerts = new Map<string, Alert>();
  private readonly items = new Map<string, HTMLLIElement>();

  constructor(private readonly section: HTMLElement, private readonly list: HTMLUListElement, private readonly options: AlertsViewOptions) {}

  /** Events seen while a read of `activeAlerts` runs: applied again on top of what it answers (they may be newer). */
  private duringRead: Alert[] | null = null;

  /** A read of the alerts raised now starts (see `replace`). */
  beginRead(): void {
    this.duringRead = [];
  }

  /** The read failed: the list stays as the events left it. */
  readFailed(): void {
    this.duringRead = null;
  }

  /** Everything raised now, as read (replaces what was shown), then the events that arrived meanwhile, in order. */
  replace(active: Alert[]): void {
    const meanwhile = this.duringRead ?? [];
    this.duringRead = null;
    this.alerts.clear();
    for (const a of active) if (a.raised) this.alerts.set(keyOf(a), a);
    for (const a of meanwhile) this.apply(a, false);
    this.render();
  }

  /** One raise or clear from the subscription. */
  event(a: Alert): void {
    this.duringRead?.push(a);
    if (this.apply(a, true)) this.render();
  }

  /** Applies a raise or clear; answers whether the list changed. */
  private apply(a: Alert, say: boolean): boolean {
    const key = keyOf(a);
    const known = this.alerts.get(key);
    if (a.raised) {
      this.alerts.set(key, a);
      if (!known && say) this.options.announce(`Alert: ${this.line(a)}.`);
    } else {
      if (!known) return false;
      this.alerts.delete(key);
      if (say) this.options.announce(`Alert cleared: ${KIND_TEXT[a.kind]} · ${this.subject(a)}.`);
    }
    return true;
  }

  /** Names may arrive after the alerts (or change): the lines are written again. */
  namesChanged(): void {
    if (this.alerts.size > 0) this.render();
  }

  private subject(a: Alert): string {
    if (a.queueId !== null) return `queue ${this.options.queueName(a.queueId) ?? 'not shown'}`;
    if (a.destinationId !== null) return `destination ${this.options.destinationName(a.destinationId) ?? 'not shown'}`;
    return 'unknown';
  }

  private line(a: Alert): string {
    return `${KIND_TEXT[a.kind]} · ${this.subject(a)} · ${valueText(a)}`;
  }

  private render(): void {
    for (const [key, li] of this.items) {
      if (this.alerts.has(key)) continue;
      li.remove();
      this.items.delete(key);
    }
    const flags = new Map<string, string>();
    for (const [key, a] of this.alerts) {
      let li = this.items.get(key);
      if (li === undefined) {
        li = el('li', { class: 'alert', attrs: { 'data-kind': a.kind, 'data-id': a.queueId ?? a.destinationId ?? '' } });
        this.items.set(key, li);
        this.list.append(li);
      }
      const since = Number.isNaN(Date.parse(a.at)) ? '' : ` · since ${clockSeconds(new Date(a.at), this.options.timeZone)}`;
      const text = `${this.line(a)}${since}`;
      if (li.textContent !== text) li.textContent = text;
      if (a.kind === 'DESTINATION_BACKOFFS' && a.destinationId !== null) flags.set(a.destinationId, valueText(a));
    }
    this.section.hidden = this.alerts.size === 0;
    this.options.destinationsFlagged(flags);
  }
}
