import { randomUUID } from 'node:crypto';
import { Repeater } from '@graphql-yoga/subscription';
import type { Logger } from 'pino';
import type { ConnectorPrincipal } from '../auth/principal';
import { loggableError } from '../errors';
import type { LiveModels } from '../live/live-models';
import type { Scheduler } from '../platform/scheduler';
import type { AddressedInstruction, EventBus, TelephonyInstructionEvent } from '../realtime/event-bus';
import type { CompanyModel } from '../live/company-model';
import type { ConnectorSessionStore } from '../store/connector-session-store';

/** How long a connector session stays registered without renewal (its instance died). */
export const SESSION_LEASE_MS = 15_000;
/** How often an instance renews the sessions it holds. */
export const SESSION_RENEW_MS = 5_000;

/**
 * Telephony instructions, each addressed to one live connector session of the company, in turn (round
 * robin over the sessions registered by every instance), so one slow or early session cannot take them
 * all. A session counts only while its key is valid: a revoked key's sessions get nothing more, here and on
 * every instance (the instance delivering checks too), and their sockets are closed by the socket server.
 * An instruction addressed to a session that is gone by the time it arrives is lost (the ring timeout
 * covers the attempt; at-least-once delivery is a separate step).
 */
export class InstructionDelivery {
  /** This instance's sessions: session id -> how to hand it an instruction. */
  private readonly local = new Map<string, { keyId: string; companyId: string; deliver: (instruction: TelephonyInstructionEvent) => void }>();
  /** One listener per company channel with local sessions, with how many sessions use it. */
  private readonly channels = new Map<string, { off: () => void; sessions: number }>();

  constructor(
    private readonly bus: EventBus,
    private readonly sessions: ConnectorSessionStore,
    private readonly models: LiveModels,
    private readonly scheduler: Scheduler,
    private readonly logger: Logger,
  ) {}

  /**
   * Registers every session this instance holds again now (their entries may be gone: Redis restarted
   * empty), instead of at their next renewal.
   */
  async registerAgain(): Promise<void> {
    await Promise.all([...this.local.entries()].map(([sessionId, s]) =>
      this.sessions.register(s.companyId, { sessionId, keyId: s.keyId }, SESSION_LEASE_MS).catch((err: unknown) =>
        this.logger.warn({ err: loggableError(err), companyId: s.companyId }, 'registering a connector session again failed (retried at the next renewal)'))));
  }

  /** Sends in progress per company: an instance publishes a company's instructions in the order it issued them. */
  private readonly order = new Map<string, Promise<void>>();

  /**
   * Addresses an instruction to the company's next live session with a valid key (dropped when it has none).
   * Instructions of one call may reach different sessions: a connector's sessions must each be able to act
   * on any call of the company.
   */
  send(companyId: string, instruction: TelephonyInstructionEvent): Promise<void> {
    const previous = this.order.get(companyId) ?? Promise.resolve();
    const next = previous.then(() => this.address(companyId, instruction)).catch((err: unknown) =>
      this.logger.error({ err: loggableError(err), companyId, kind: instruction.kind }, 'addressing a telephony instruction failed'));
    this.order.set(companyId, next);
    void next.then(() => {
      if (this.order.get(companyId) === next) this.order.delete(companyId);
    });
    return next;
  }

  private async address(companyId: string, instruction: TelephonyInstructionEvent): Promise<void> {
    const [{ turn, sessions }, model] = await Promise.all([this.sessions.candidates(companyId), this.models.get(companyId)]);
    const valid = sessions.filter((s) => model.keyValid(s.keyId));
    if (valid.length === 0) {
      this.logger.debug({ companyId, kind: instruction.kind, callId: instruction.callId }, 'no live connector session: instruction not delivered');
      return;
    }
    const target = valid[turn % valid.length]!;
    this.bus.publishInstruction(companyId, { ...instruction, sessionId: target.sessionId });
  }

  /** The instructions of one new connector session, until it ends (its subscription or socket closes). */
  session(principal: ConnectorPrincipal): AsyncIterable<TelephonyInstructionEvent> {
    const { companyId, keyId } = principal;
    const sessionId = randomUUID();
    const register = () =>
      this.sessions.register(companyId, { sessionId, keyId }, SESSION_LEASE_MS).catch((err: unknown) =>
        this.logger.warn({ err: loggableError(err), companyId }, 'registering a connector session failed (retried at the next renewal)'));
    return new Repeater<TelephonyInstructionEvent>(async (push, stop) => {
      this.local.set(sessionId, { keyId, companyId, deliver: (instruction) => void push(instruction) });
      this.listen(companyId);
      await register();
      const stopRenewing = this.scheduler.every(SESSION_RENEW_MS, () => void register());
      await stop;
      stopRenewing();
      this.local.delete(sessionId);
      this.unlisten(companyId);
      await this.sessions.remove(companyId, sessionId).catch((err: unknown) =>
        this.logger.warn({ err: loggableError(err), companyId }, 'removing a connector session failed (it lapses with its lease)'));
    });
  }

  private listen(companyId: string): void {
    const channel = this.channels.get(companyId);
    if (channel !== undefined) {
      channel.sessions += 1;
      return;
    }
    // Deliveries wait, in order, while the company's authority is being read again (a change in progress).
    let waiting: Promise<void> | null = null;
    const deliver = (instruction: AddressedInstruction, model: CompanyModel) => {
      const session = this.local.get(instruction.sessionId);
      // The key may have been revoked since the instruction was addressed: nothing more for its sessions.
      if (session === undefined || !model.keyValid(session.keyId)) return;
      const { sessionId: _, ...plain } = instruction;
      session.deliver(plain);
    };
    const off = this.bus.listenInstructions(companyId, (instruction) => {
      if (!this.local.has(instruction.sessionId)) return;
      const model = waiting === null ? this.models.peek(companyId) : undefined;
      if (model !== undefined) return deliver(instruction, model);
      const next: Promise<void> = (waiting ?? Promise.resolve())
        .then(() => this.models.get(companyId))
        // Authority that cannot be read now is not extended: the instruction is dropped.
        .then((current) => deliver(instruction, current), () => undefined)
        .finally(() => {
          if (waiting === next) waiting = null;
        });
      waiting = next;
    });
    this.channels.set(companyId, { off, sessions: 1 });
  }

  private unlisten(companyId: string): void {
    const channel = this.channels.get(companyId);
    if (channel === undefined) return;
    channel.sessions -= 1;
    if (channel.sessions > 0) return;
    channel.off();
    this.channels.delete(companyId);
  }
}
