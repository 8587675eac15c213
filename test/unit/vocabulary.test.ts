import { getNamedType, type GraphQLEnumType, type GraphQLObjectType } from 'graphql';
import { CALL_END_REASONS as ENTITY_END_REASONS } from '../../src/entities/call.entity';
import { INSTRUCTION_KINDS as BUS_KINDS } from '../../src/realtime/event-bus';
import {
  ATTEMPT_OUTCOMES, CALL_END_REASONS, INSTRUCTION_KINDS, instructionEvent, instructionPayload, REPORTED_END_REASONS,
  type InstructionKind, type InstructionPayload, type InstructionPayloadOf, type TelephonyInstructionEvent,
} from '../../src/routing/vocabulary';
import { ATTEMPT_OUTCOMES as MACHINE_OUTCOMES } from '../../src/routing/state-machine';
import { buildGatewaySchema } from '../../src/schema';

/** One payload of each kind, with the fields the API documents for it. */
const PAYLOADS: { [K in InstructionKind]: InstructionPayloadOf<K> } = {
  RING_AGENT: { kind: 'RING_AGENT', callId: 'call', attemptId: 'attempt', agentId: 'agent', ringTimeoutSec: 20 },
  DIAL_EXTERNAL: { kind: 'DIAL_EXTERNAL', callId: 'call', attemptId: 'attempt', destinationId: 'destination', number: '+442079460958', ringTimeoutSec: 30 },
  CANCEL_ATTEMPT: { kind: 'CANCEL_ATTEMPT', callId: 'call', attemptId: 'attempt' },
  PLAY_MESSAGE: { kind: 'PLAY_MESSAGE', callId: 'call', message: 'All our lines are busy.' },
  DISCONNECT: { kind: 'DISCONNECT', callId: 'call', message: 'queue full', endReason: 'QUEUE_FULL' },
  PROBE_DESTINATION: { kind: 'PROBE_DESTINATION', callId: 'probe', destinationId: 'destination', number: '+442079460958', ringTimeoutSec: 10 },
};

describe('the vocabulary of the core', () => {
  it('is the one list the event bus, the entities and the API use', async () => {
    expect(BUS_KINDS).toBe(INSTRUCTION_KINDS);
    expect(ENTITY_END_REASONS).toBe(CALL_END_REASONS);
    expect(ATTEMPT_OUTCOMES).toBe(MACHINE_OUTCOMES);
    for (const list of [INSTRUCTION_KINDS, CALL_END_REASONS]) expect(Object.entries(list).every(([k, v]) => k === v)).toBe(true);
    expect(REPORTED_END_REASONS.every((r) => r in CALL_END_REASONS)).toBe(true);

    const schema = await buildGatewaySchema();
    const values = (name: string) => (schema.getType(name) as GraphQLEnumType).getValues().map((v) => v.value);
    expect(values('TelephonyInstructionKind')).toEqual(Object.keys(INSTRUCTION_KINDS));
    expect(values('CallEndReason')).toEqual(Object.keys(CALL_END_REASONS));
    // Every field an instruction travels with is a field of the API's TelephonyInstruction, and the other way round.
    const fields = (schema.getType('TelephonyInstruction') as GraphQLObjectType).getFields();
    // `seq` is the instruction log's number, given when the instruction is logged for delivery (decision 023).
    expect(Object.keys(fields).filter((f) => f !== 'seq').sort()).toEqual(Object.keys(instructionEvent(PAYLOADS.RING_AGENT, 'i', 0)).sort());
    expect(getNamedType(fields.seq!.type).name).toBe('Int');
    expect(getNamedType(fields.kind!.type).name).toBe('TelephonyInstructionKind');
  });

  it('has a payload for every instruction kind, and each travels with exactly its own fields (the others null)', () => {
    expect(Object.keys(PAYLOADS).sort()).toEqual(Object.keys(INSTRUCTION_KINDS).sort());
    const base = { instructionId: 'i1', callId: 'call', attemptId: null, agentId: null, destinationId: null, number: null, ringTimeoutSec: null, message: null, context: null, endReason: null, issuedAt: 1_000 };
    const expected: Record<InstructionKind, TelephonyInstructionEvent> = {
      RING_AGENT: { ...base, kind: 'RING_AGENT', attemptId: 'attempt', agentId: 'agent', ringTimeoutSec: 20 },
      DIAL_EXTERNAL: { ...base, kind: 'DIAL_EXTERNAL', attemptId: 'attempt', destinationId: 'destination', number: '+442079460958', ringTimeoutSec: 30 },
      CANCEL_ATTEMPT: { ...base, kind: 'CANCEL_ATTEMPT', attemptId: 'attempt' },
      PLAY_MESSAGE: { ...base, kind: 'PLAY_MESSAGE', message: 'All our lines are busy.' },
      DISCONNECT: { ...base, kind: 'DISCONNECT', message: 'queue full', endReason: 'QUEUE_FULL' },
      PROBE_DESTINATION: { ...base, kind: 'PROBE_DESTINATION', callId: 'probe', attemptId: 'probe', destinationId: 'destination', number: '+442079460958', ringTimeoutSec: 10 },
    };
    for (const payload of Object.values(PAYLOADS) as InstructionPayload[]) {
      const event = instructionEvent(payload, 'i1', 1_000);
      expect(event).toEqual(expected[payload.kind]);
      expect(instructionPayload(event)).toEqual(payload);
    }
    expect(instructionEvent({ kind: 'DISCONNECT', callId: 'call' }, 'i2', 2_000)).toEqual({ ...base, instructionId: 'i2', issuedAt: 2_000, kind: 'DISCONNECT' });
  });

  it('reads a travelled instruction that lacks a field its kind needs, or of an unknown kind, as no payload', () => {
    const event = (kind: string, fields: Partial<TelephonyInstructionEvent>): TelephonyInstructionEvent => ({
      ...instructionEvent(PAYLOADS.CANCEL_ATTEMPT, 'i', 0), kind: kind as InstructionKind, attemptId: null, ...fields,
    });
    expect(instructionPayload(event('RING_AGENT', { attemptId: 'a', agentId: 'agent' }))).toBeNull();
    expect(instructionPayload(event('DIAL_EXTERNAL', { attemptId: 'a', destinationId: 'd', ringTimeoutSec: 30 }))).toBeNull();
    expect(instructionPayload(event('CANCEL_ATTEMPT', {}))).toBeNull();
    expect(instructionPayload(event('PLAY_MESSAGE', {}))).toBeNull();
    expect(instructionPayload(event('DISCONNECT', {}))).toEqual({ kind: 'DISCONNECT', callId: 'call', message: null });
    expect(instructionPayload(event('TRANSFER', { attemptId: 'a' }))).toBeNull();
    expect(() => instructionEvent({ kind: 'TRANSFER', callId: 'call' } as never, 'i', 0)).toThrow('unknown instruction kind TRANSFER');
  });
});
