import { CALLER, callerStep, type CallEnd, type CallerEventType, type CallerState, type CallerTransition } from '../../simulator/caller';

const STATES = Object.keys(CALLER) as CallerState[];

/** The state after `events` from DIALLING, and how the call ended (null while it is alive). */
function walk(events: CallerEventType[]): { state: CallerState; end: CallEnd | null; actions: string[] } {
  let state: CallerState = 'DIALLING';
  let end: CallEnd | null = null;
  const actions: string[] = [];
  for (const event of events) {
    const step: CallerTransition | null = callerStep(state, event);
    if (!step) continue;
    state = step.to;
    for (const action of step.do) {
      actions.push(action);
      if (action.startsWith('finish:')) end = action.slice('finish:'.length) as CallEnd;
    }
  }
  return { state, end, actions };
}

describe('the caller table', () => {
  it.each<[string, CallerEventType[], CallEnd]>([
    ['answered, talks, then ends the call', ['ACCEPTED', 'RING', 'OUTCOME_DUE', 'ANSWERED', 'TALK_OVER', 'END_ACCEPTED'], 'COMPLETED'],
    ['out of patience, hangs up', ['ACCEPTED', 'PATIENCE_OUT', 'END_ACCEPTED'], 'CALLER_HUNG_UP'],
    ['hangs up, refused with no answer in flight: the gateway had ended it', ['ACCEPTED', 'PATIENCE_OUT', 'END_RACED', 'SETTLED'], 'DISCONNECTED'],
    ['hangs up, refused because an answer won: hangs up on the connected call', ['ACCEPTED', 'PATIENCE_OUT', 'END_RACED', 'ANSWERED', 'SETTLED', 'END_ACCEPTED'], 'COMPLETED'],
    ['answered while the hang-up is on its way, which is then refused', ['ACCEPTED', 'PATIENCE_OUT', 'ANSWERED', 'END_RACED', 'SETTLED', 'END_ACCEPTED'], 'COMPLETED'],
    ['answered while the hang-up is on its way, which is accepted', ['ACCEPTED', 'PATIENCE_OUT', 'ANSWERED', 'END_ACCEPTED'], 'CALLER_HUNG_UP'],
    ['an answer wins a refused hang-up while the simulator stops', ['ACCEPTED', 'PATIENCE_OUT', 'END_RACED', 'ANSWERED', 'SETTLED_STOPPING'], 'DISCONNECTED'],
    ['disconnected by the gateway while waiting', ['ACCEPTED', 'GATEWAY_ENDED'], 'DISCONNECTED'],
    ['disconnected by the gateway while talking', ['ACCEPTED', 'ANSWERED', 'GATEWAY_ENDED'], 'DISCONNECTED'],
    ['the end of the conversation refused: the gateway had ended it', ['ACCEPTED', 'ANSWERED', 'TALK_OVER', 'END_RACED'], 'DISCONNECTED'],
    ['endCall failing', ['ACCEPTED', 'ANSWERED', 'TALK_OVER', 'END_FAILED'], 'LOST'],
    ['a hang-up failing', ['ACCEPTED', 'PATIENCE_OUT', 'END_FAILED'], 'LOST'],
    [
      'handed back by the destination, then answered by an agent, talks and ends the call',
      ['ACCEPTED', 'RING', 'OUTCOME_DUE', 'ANSWERED', 'HAND_BACK_DUE', 'RETURN_ACCEPTED', 'RING', 'OUTCOME_DUE', 'ANSWERED', 'TALK_OVER', 'END_ACCEPTED'],
      'COMPLETED',
    ],
    ['handed back, then out of patience while waiting again', ['ACCEPTED', 'ANSWERED', 'HAND_BACK_DUE', 'RETURN_ACCEPTED', 'PATIENCE_OUT', 'END_ACCEPTED'], 'CALLER_HUNG_UP'],
    ['the hand-back refused: the caller stays with the destination to the end', ['ACCEPTED', 'ANSWERED', 'HAND_BACK_DUE', 'RETURN_REFUSED', 'TALK_OVER', 'END_ACCEPTED'], 'COMPLETED'],
    [
      "an agent answering before the hand-back's answer arrives",
      ['ACCEPTED', 'ANSWERED', 'HAND_BACK_DUE', 'RING', 'OUTCOME_DUE', 'ANSWERED', 'RETURN_ACCEPTED', 'TALK_OVER', 'END_ACCEPTED'],
      'COMPLETED',
    ],
    ['disconnected by the gateway during the hand-back', ['ACCEPTED', 'ANSWERED', 'HAND_BACK_DUE', 'GATEWAY_ENDED'], 'DISCONNECTED'],
  ])('%s', (_name, events, end) => {
    expect(walk(events)).toMatchObject({ state: 'ENDED', end });
  });

  it('waits with patience once accepted, and stops it once answered', () => {
    expect(walk(['ACCEPTED']).actions).toEqual(['startPatience']);
    expect(walk(['ACCEPTED', 'ANSWERED']).actions).toEqual(['startPatience', 'countAnswer', 'startTalk']);
    expect(walk(['ACCEPTED', 'ANSWERED', 'PATIENCE_OUT', 'ANSWERED']).state).toBe('CONNECTED');
  });

  it('hands the call back once the destination has talked long enough, and waits again with patience once that is accepted', () => {
    expect(walk(['ACCEPTED', 'ANSWERED', 'HAND_BACK_DUE']).actions).toEqual(['startPatience', 'countAnswer', 'startTalk', 'sendReturn']);
    expect(walk(['ACCEPTED', 'ANSWERED', 'HAND_BACK_DUE', 'RETURN_ACCEPTED'])).toMatchObject({ state: 'WAITING', end: null });
    expect(walk(['ACCEPTED', 'ANSWERED', 'HAND_BACK_DUE', 'RETURN_ACCEPTED']).actions.at(-1)).toBe('startPatience');
    // Refused, the conversation goes on with the destination.
    expect(walk(['ACCEPTED', 'ANSWERED', 'HAND_BACK_DUE', 'RETURN_REFUSED']).actions.at(-1)).toBe('startTalk');
    // Only a conversation hands a call back: waiting, hanging up or ending, nothing is sent.
    for (const state of ['DIALLING', 'WAITING', 'HANGING_UP', 'HANGING_UP_ANSWERED', 'HANG_UP_RACED', 'HANG_UP_RACED_ANSWERED', 'COMPLETING', 'ENDED'] as const) {
      expect(callerStep(state, 'HAND_BACK_DUE')).toBeNull();
    }
  });

  it('starts no attempt and reports no outcome once endCall is sent, and leaves the count to its answer', () => {
    for (const state of ['HANGING_UP', 'HANGING_UP_ANSWERED', 'HANG_UP_RACED', 'HANG_UP_RACED_ANSWERED', 'COMPLETING'] as const) {
      expect(callerStep(state, 'RING')).toBeNull();
      expect(callerStep(state, 'OUTCOME_DUE')).toBeNull();
      expect(callerStep(state, 'GATEWAY_ENDED')).toEqual({ to: state, do: ['stopTimers'] });
      expect(callerStep(state, 'CANCEL_ATTEMPT')?.do).toEqual(['cancelAttempt']);
    }
  });

  it('rings and reports only while the caller waits, talks or is being handed back', () => {
    const ringing = STATES.filter((s) => callerStep(s, 'RING'));
    expect(ringing).toEqual(['WAITING', 'CONNECTED', 'RETURNING']);
    expect(STATES.filter((s) => callerStep(s, 'OUTCOME_DUE'))).toEqual(ringing);
  });

  it('reaches every state from DIALLING, and can end from every state', () => {
    const events = [...new Set(STATES.flatMap((s) => Object.keys(CALLER[s]) as CallerEventType[]))];
    const next = (s: CallerState): CallerState[] => events.flatMap((e) => callerStep(s, e)?.to ?? []);
    const reachable = new Set<CallerState>(['DIALLING']);
    for (const s of reachable) for (const t of next(s)) reachable.add(t);
    expect([...reachable].sort()).toEqual([...STATES].sort());
    for (const start of STATES) {
      const seen = new Set<CallerState>([start]);
      for (const s of seen) for (const t of next(s)) seen.add(t);
      expect([start, seen.has('ENDED')]).toEqual([start, true]);
    }
  });

  it('does nothing once ended but count an answer the gateway had accepted', () => {
    expect(CALLER.ENDED).toEqual({ ANSWERED: { to: 'ENDED', do: ['countAnswer'] } });
  });
});
