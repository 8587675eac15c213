import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, coerceInputValue, isInputObjectType, parse, validate } from 'graphql';
import { OPERATIONS, type EnqueueCallInput, type ProbeOutcomeInput, type ReturnCallInput, type StartCallInput } from '../../simulator/connector-client';

describe("the simulator's GraphQL operations", () => {
  const schema = buildSchema(readFileSync(join(__dirname, '..', '..', 'schema.graphql'), 'utf8'));

  it.each(Object.entries(OPERATIONS))('%s is valid against the published schema', (_name, source) => {
    expect(validate(schema, parse(source)).map((e) => e.message)).toEqual([]);
  });

  it('sends calls both to queues (enqueueCall) and to call flows (startCall)', () => {
    expect(OPERATIONS.ENQUEUE_CALL).toMatch(/\benqueueCall\(input: \$input\)/);
    expect(OPERATIONS.START_CALL).toMatch(/\bstartCall\(input: \$input\)/);
  });

  /** Every problem of `value` as the schema's input type `typeName` (unknown fields, missing ones, wrong types). */
  function inputProblems(typeName: string, value: unknown): string[] {
    const type = schema.getType(typeName);
    if (!isInputObjectType(type)) throw new Error(`${typeName} is not an input type of the schema`);
    const problems: string[] = [];
    coerceInputValue(value, type, (path, _invalid, error) => problems.push(`${path.join('.')}: ${error.message}`));
    return problems;
  }

  it("sends the client's call inputs as the schema's input types", () => {
    const start: Required<StartCallInput> = { connectorCallId: 'c-1', serviceNumber: '+441134960000', callerNumber: '+442079460001', context: [{ key: 'intent', value: 'sales' }] };
    const enqueue: Required<EnqueueCallInput> = { connectorCallId: 'c-2', queueId: 'q-1', callerNumber: '+442079460001', serviceNumber: '+441134960000', priority: 3, context: [] };
    expect(inputProblems('StartCallInput', start)).toEqual([]);
    expect(inputProblems('StartCallInput', { connectorCallId: 'c-1', serviceNumber: '+441134960000' })).toEqual([]);
    expect(inputProblems('EnqueueCallInput', enqueue)).toEqual([]);
    // The check itself notices a field the schema does not have, or a missing one.
    expect(inputProblems('StartCallInput', { ...start, queueId: 'q-1' })).not.toEqual([]);
    expect(inputProblems('StartCallInput', { connectorCallId: 'c-1' })).not.toEqual([]);
  });

  it('hands calls back with returnCall and reports health probes with reportProbeOutcome, as the schema takes them', () => {
    expect(OPERATIONS.RETURN_CALL).toMatch(/\breturnCall\(input: \$input\)/);
    expect(OPERATIONS.REPORT_PROBE_OUTCOME).toMatch(/\breportProbeOutcome\(input: \$input\)/);
    const returned: Required<ReturnCallInput> = {
      eventId: 'e-1', attemptId: 'a-1', reason: 'caller asked for a person', context: [{ key: 'bot.summary', value: 'Disputes an invoice.' }], queueId: 'q-1',
    };
    expect(inputProblems('ReturnCallInput', returned)).toEqual([]);
    expect(inputProblems('ReturnCallInput', { eventId: 'e-1', attemptId: 'a-1', reason: 'r' })).toEqual([]);
    const probe: Required<ProbeOutcomeInput> = { eventId: 'e-2', probeId: 'p-1', outcome: 'SUCCEEDED' };
    expect(inputProblems('ProbeOutcomeInput', probe)).toEqual([]);
    expect(inputProblems('ProbeOutcomeInput', { ...probe, outcome: 'ANSWERED' })).not.toEqual([]);
  });

  it('takes the context of the instructions in, to see what an agent is handed', () => {
    expect(OPERATIONS.TELEPHONY_INSTRUCTIONS).toMatch(/\bcontext \{ key value \}/);
  });
});
