import type { AgentBlockReason, AgentSnapshot, Millis } from './types';

/**
 * Why an agent cannot be offered a call now, or null when it can (cheap: no text is built). The one rule the
 * routing decision and the free-agent index both follow.
 */
export function agentBlocker(agent: AgentSnapshot, now: Millis): AgentBlockReason | null {
  if (agent.status === 'LOGGED_OUT') return 'AGENT_LOGGED_OUT';
  if (agent.status === 'ON_BREAK') return 'AGENT_ON_BREAK';
  if (agent.activity === 'WRAP_UP' && (agent.wrapUpUntil === null || agent.wrapUpUntil > now)) return 'AGENT_WRAP_UP';
  if (agent.activity !== 'IDLE' && agent.activity !== 'WRAP_UP') return 'AGENT_BUSY';
  if (agent.notBefore !== null && agent.notBefore > now) return 'AGENT_RETRY_WAIT';
  return null;
}
