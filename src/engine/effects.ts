import { randomUUID } from 'node:crypto';
import type { TelephonyInstructionEvent } from '../realtime/event-bus';
import type { AgentChange, AgentExpectation, AgentLive } from '../store/agent-state-store';
import type { EngineContext, LivePublisher } from './types';

/** Where instructions go: one live connector session of the company at a time. */
export interface InstructionSender {
  send(companyId: string, instruction: TelephonyInstructionEvent): Promise<void>;
}

/** An instruction to send: its kind and call, and the fields its kind carries (the rest are null). */
export type InstructionFields = Partial<TelephonyInstructionEvent> & Pick<TelephonyInstructionEvent, 'kind' | 'callId'>;

/** Resources whose live state changed (null ids are skipped, repeats announced once). */
export interface Changed {
  destinations?: ReadonlyArray<string | null>;
  queues?: ReadonlyArray<string | null>;
}

/**
 * What the engine publishes once a change is committed: instructions to the connector and live announcements
 * to dashboards; and agents' live state, whose every change is announced. Nothing here holds up routing: a
 * send or an announcement that fails is logged.
 */
export class Effects {
  constructor(
    private readonly ctx: EngineContext,
    private readonly instructions: InstructionSender,
    private readonly updates: LivePublisher,
  ) {}

  instruct(companyId: string, fields: InstructionFields): void {
    this.ctx.meter.instruction('issued');
    void this.instructions.send(companyId, {
      instructionId: randomUUID(), attemptId: null, agentId: null, destinationId: null, number: null, ringTimeoutSec: null, message: null, context: null, endReason: null,
      issuedAt: this.ctx.time.now(), ...fields,
    });
  }

  /** Announces changed destinations and queues to live subscribers. */
  announce(companyId: string, changed: Changed): void {
    const fail = (err: unknown) => this.ctx.logger.error({ err }, 'publishing a live update failed');
    for (const id of new Set(changed.destinations ?? [])) if (id) this.updates.destinationChanged(companyId, id).catch(fail);
    for (const id of new Set(changed.queues ?? [])) if (id) this.updates.queueChanged(companyId, id).catch(fail);
  }

  /** An agent compare-and-set; its new state is announced when it applied. */
  async agent(companyId: string, agentId: string, expect: AgentExpectation, change: AgentChange): Promise<AgentLive | null> {
    const next = await this.ctx.live.agents.compareAndSet(companyId, agentId, expect, change);
    if (next !== null) this.updates.agentChanged(companyId, agentId, next);
    return next;
  }
}
