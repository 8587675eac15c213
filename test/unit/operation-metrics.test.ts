import { parse, type OperationDefinitionNode } from 'graphql';
import { rootFieldOf } from '../../src/http/operation-metrics';

describe('the name an operation is counted under', () => {
  const operation = (text: string) => parse(text).definitions[0] as OperationDefinitionNode;

  it('is its one root field, whatever the client calls the operation or aliases the field', () => {
    expect(rootFieldOf(operation('mutation AnyNameAtAll { enqueueCall(input: {}) { id } }'))).toBe('enqueueCall');
    expect(rootFieldOf(operation('query { mine: queues { id } __typename }'))).toBe('queues');
  });

  it('is "(several)" when the operation selects more than one root field or a fragment', () => {
    expect(rootFieldOf(operation('query { queues { id } agents { id } }'))).toBe('(several)');
    expect(rootFieldOf(operation('query { ... on Query { queues { id } } }'))).toBe('(several)');
  });
});
