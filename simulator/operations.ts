/*
 * Every GraphQL operation the simulator sends, and nothing else: `npm run codegen` reads these documents (and
 * schema.graphql) to generate their variable and result types into generated/graphql.ts, and fails on any
 * operation the published schema does not accept. The `GraphQL` comment marks each string as a document.
 */

export const LOGIN = /* GraphQL */ `mutation Login($companySlug: String!, $username: String!, $password: String!) {
  login(companySlug: $companySlug, username: $username, password: $password) { token expiresAt }
}`;

export const CREATE_CONNECTOR_API_KEY = /* GraphQL */ `mutation CreateConnectorApiKey($name: String!) {
  createConnectorApiKey(name: $name) { apiKey }
}`;

export const QUEUES = /* GraphQL */ `query Queues($first: Int, $after: String) {
  queues(first: $first, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } }
}`;

export const AGENTS = /* GraphQL */ `query Agents($first: Int, $after: String) {
  agents(first: $first, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } }
}`;

export const SET_AGENT_STATUS = /* GraphQL */ `mutation SetAgentStatus($agentId: ID!, $status: AgentStatus!) {
  setAgentStatus(agentId: $agentId, status: $status) { id }
}`;

export const ENQUEUE_CALL = /* GraphQL */ `mutation EnqueueCall($input: EnqueueCallInput!) {
  enqueueCall(input: $input) { id connectorCallId state }
}`;

export const START_CALL = /* GraphQL */ `mutation StartCall($input: StartCallInput!) {
  startCall(input: $input) { id connectorCallId state }
}`;

export const REPORT_ATTEMPT_OUTCOME = /* GraphQL */ `mutation ReportAttemptOutcome($input: AttemptOutcomeInput!) {
  reportAttemptOutcome(input: $input) { id state outcome }
}`;

export const RETURN_CALL = /* GraphQL */ `mutation ReturnCall($input: ReturnCallInput!) {
  returnCall(input: $input) { id connectorCallId state returnCount }
}`;

export const REPORT_PROBE_OUTCOME = /* GraphQL */ `mutation ReportProbeOutcome($input: ProbeOutcomeInput!) {
  reportProbeOutcome(input: $input) { id destinationId outcome }
}`;

export const END_CALL = /* GraphQL */ `mutation EndCall($input: EndCallInput!) {
  endCall(input: $input) { id connectorCallId state }
}`;

export const TELEPHONY_INSTRUCTIONS = /* GraphQL */ `subscription TelephonyInstructions($afterSeq: Int, $acknowledges: Boolean) {
  telephonyInstructions(afterSeq: $afterSeq, acknowledges: $acknowledges) { instructionId seq kind callId attemptId agentId destinationId number ringTimeoutSec message endReason context { key value } }
}`;

export const ACKNOWLEDGE_TELEPHONY_INSTRUCTIONS = /* GraphQL */ `mutation AcknowledgeTelephonyInstructions($ids: [ID!]!) {
  acknowledgeTelephonyInstructions(ids: $ids)
}`;

/** Every operation the simulator sends. */
export const OPERATIONS = {
  LOGIN, CREATE_CONNECTOR_API_KEY, QUEUES, AGENTS, SET_AGENT_STATUS, ENQUEUE_CALL, START_CALL, REPORT_ATTEMPT_OUTCOME, RETURN_CALL, REPORT_PROBE_OUTCOME, END_CALL,
  TELEPHONY_INSTRUCTIONS,
  ACKNOWLEDGE_TELEPHONY_INSTRUCTIONS,
} as const;
