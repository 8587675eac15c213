import type { Millis, QueueSnapshot } from './types';

export type Admission = { admitted: true } | { admitted: false; reason: 'QUEUE_FULL'; detail: string };

/** Whether one more call may wait in the queue (`maxQueueLength`, 0 = no limit). `waitingCalls` excludes it. */
export function admitToQueue(queue: Pick<QueueSnapshot, 'waitingCalls' | 'maxQueueLength'>): Admission {
  if (queue.maxQueueLength > 0 && queue.waitingCalls >= queue.maxQueueLength) {
    return { admitted: false, reason: 'QUEUE_FULL', detail: `queue full: ${queue.waitingCalls} of ${queue.maxQueueLength} calls waiting` };
  }
  return { admitted: true };
}

/** When a call that entered at `enqueuedAt` has waited the queue's maximum (`maxWaitSec`, 0 = never). */
export function waitDeadline(queue: Pick<QueueSnapshot, 'maxWaitSec'>, enqueuedAt: Millis): Millis | null {
  return queue.maxWaitSec > 0 ? enqueuedAt + queue.maxWaitSec * 1000 : null;
}
