import { ApolloServer } from '@apollo/server';
import { buildSchema, GraphQLError, locatedError, OperationTypeNode, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { Limits } from '../../src/config';
import { DomainError, errors } from '../../src/errors';
import { RequestAdmission, SUBSCRIPTIONS_ONLY } from '../../src/http/admission';
import { domainErrorStatus, formatClientError, httpOf, toGraphQLError } from '../../src/http/error-mapping';

/**
 * The request admission (decision 019): one module admits operations on every transport, with the same
 * errors; and the error mapping turns domain errors into the same answers on each.
 */

const SDL = `
  type Item { id: ID! name: String children(first: Int): [Item!]! }
  type Query { items(first: Int, nameContains: String): [Item!]! item(id: ID!): Item }
  type Mutation { rename(id: ID!, name: String!): Item  remove(id: ID!): Boolean }
  type Subscription { itemUpdates(ids: [ID!]): Item }
`;
const schema = buildSchema(SDL);

const limits: Limits = {
  maxDepth: 4,
  maxAliases: 3,
  maxCost: 2_000,
  maxTokens: 200,
  maxBodyBytes: 100_000,
  websocket: { initTimeoutMs: 1000, maxSubscriptionsPerSocket: 5, maxSocketsPerPrincipal: 5, maxBufferedBytes: 1 << 20, maxMessageBytes: 1 << 16 },
};

const admission = new RequestAdmission(schema, { limits, hideSuggestions: false });

/** How a client sees errors: every error formatted as both transports format them. */
const internals: unknown[] = [];
const client = (error: GraphQLError): GraphQLFormattedError => formatClientError(error.toJSON(), error, (e) => internals.push(e));
const shape = (error: GraphQLFormattedError) => ({ message: error.message, extensions: error.extensions });

/** What the WebSocket path answers for one operation (the document, or the client's errors). */
function overSocket(query: string, variables?: Record<string, unknown>, operationName?: string) {
  const admitted = admission.admit({ query, variables, operationName }, SUBSCRIPTIONS_ONLY);
  return admitted.errors === undefined ? { document: admitted.document } : { errors: admitted.errors.map((e) => shape(client(e))) };
}

/** What the HTTP path answers once Apollo Server parsed and validated the document (step 3). */
function overHttp(document: DocumentNode, variables?: Record<string, unknown>) {
  const refusal = admission.refusal(document, variables);
  return refusal === null ? null : { error: shape(client(toGraphQLError(refusal))), http: httpOf(refusal) };
}

afterEach(() => {
  expect(internals).toEqual([]);
  internals.length = 0;
});

describe('the request admission', () => {
  it('gives Apollo Server the parse limit and the validation rules it gives the socket', () => {
    expect(admission.parseOptions).toEqual({ maxTokens: 200 });
    // Depth, aliases, one mutation per request.
    expect(admission.validationRules).toHaveLength(3);
  });

  it('refuses a document over the token limit as Apollo Server does: GRAPHQL_PARSE_FAILED', () => {
    const res = overSocket(`subscription { itemUpdates { ${'id '.repeat(300)} } }`);
    expect(res.errors).toEqual([{ message: expect.stringContaining('200 tokens'), extensions: { code: 'GRAPHQL_PARSE_FAILED' } }]);
  });

  it('refuses the depth and alias limits with QUERY_TOO_COMPLEX, and other invalid documents with GRAPHQL_VALIDATION_FAILED', () => {
    expect(overSocket('subscription { itemUpdates { a: id b: id c: id d: id } }').errors).toEqual([
      { message: 'Aliases limit of 3 exceeded, found 4.', extensions: { code: 'QUERY_TOO_COMPLEX' } },
    ]);
    expect(overSocket('subscription { itemUpdates { children { children { children { id } } } } }').errors).toEqual([
      { message: 'Query depth limit of 4 exceeded, found 5.', extensions: { code: 'QUERY_TOO_COMPLEX' } },
    ]);
    expect(overSocket('subscription { itemUpdates { nam } }').errors).toEqual([
      { message: expect.stringMatching(/Cannot query field "nam".*Did you mean "name"\?/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
    ]);
  });

  it('leaves the suggestions out when schema details are hidden', () => {
    const hidden = new RequestAdmission(schema, { limits, hideSuggestions: true });
    const res = hidden.admit({ query: 'subscription { itemUpdates { nam } }' }, SUBSCRIPTIONS_ONLY);
    expect(res.errors?.map((e) => e.message)).toEqual(['Cannot query field "nam" on type "Item".']);
  });

  it('refuses two mutations in one request with GRAPHQL_VALIDATION_FAILED (the rule HTTP runs too)', () => {
    const res = admission.admit({ query: 'mutation { remove(id: "a") b: remove(id: "b") }' }, { operation: OperationTypeNode.MUTATION, refusal: 'Mutations only' });
    expect(res.errors?.map((e) => shape(client(e)))).toEqual([
      { message: expect.stringMatching(/only one mutation.*\(remove, b\)/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
    ]);
  });

  it('refuses over the socket what it does not serve, by the operation each name picks, also from a document already admitted', () => {
    const query = 'subscription S { itemUpdates { id } } query Q { items { id } }';
    expect(overSocket(query, undefined, 'S').document).toBeDefined();
    const refusal = { message: SUBSCRIPTIONS_ONLY.refusal, extensions: { code: 'BAD_REQUEST' } };
    expect(overSocket(query, undefined, 'Q').errors).toEqual([refusal]);
    expect(overSocket('{ items { id } }').errors).toEqual([refusal]);
  });

  it('keeps one document per query text', () => {
    const query = 'subscription { itemUpdates { id name } }';
    expect(overSocket(query).document).toBe(overSocket(query).document);
  });

  describe('once the variables are known, the same refusal on both transports', () => {
    const refusedBoth = (query: string, variables: Record<string, unknown>) => {
      const socket = overSocket(query, variables);
      const http = overHttp(admission.admit({ query }, SUBSCRIPTIONS_ONLY).document!, variables);
      expect(socket.errors).toEqual([http!.error]);
      return http!;
    };

    it('a NUL character: BAD_USER_INPUT naming its input path, HTTP 400', () => {
      const { error, http } = refusedBoth('subscription($ids: [ID!]) { itemUpdates(ids: $ids) { id } }', { ids: ['a', 'b\u0000'] });
      expect(error).toEqual({
        message: 'ids[1]: must not contain a NUL character',
        extensions: { code: 'BAD_USER_INPUT', field: 'ids[1]', problems: [{ field: 'ids[1]', message: 'must not contain a NUL character' }] },
      });
      expect(http).toEqual({ status: 400 });
    });

    it('a string over its bound: BAD_USER_INPUT naming it, HTTP 400', () => {
      const { error, http } = refusedBoth('subscription($ids: [ID!]) { itemUpdates(ids: $ids) { id } }', { ids: ['x'.repeat(101)] });
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ids[0]' });
      expect(error.message).toBe('ids[0]: must be at most 100 characters (got 101)');
      expect(http).toEqual({ status: 400 });
    });

    it('the cost with the variables\' values: QUERY_TOO_COMPLEX, HTTP 400', () => {
      const query = 'subscription($n: Int) { itemUpdates { children(first: $n) { id name } } }';
      expect(overSocket(query, { n: 2 }).document).toBeDefined();
      const { error, http } = refusedBoth(query, { n: 10_000 });
      expect(error).toEqual({ message: expect.stringMatching(/^Query Cost limit of 2000 exceeded/), extensions: { code: 'QUERY_TOO_COMPLEX' } });
      expect(http).toEqual({ status: 400 });
    });

    it('costs a selection through a named fragment or an inline one exactly as written out in full', () => {
      /** The largest page the cost limit admits for `query`, found by growing `$n` until it is refused. */
      const largest = (query: string) => {
        const document = admission.admit({ query }, SUBSCRIPTIONS_ONLY).document!;
        let n = 1;
        while (admission.refusal(document, { n: n + 1 }) === null) n += 1;
        return n;
      };
      const written = largest('subscription($n: Int) { itemUpdates { children(first: $n) { id name children(first: 2) { id } } } }');
      expect(written).toBeGreaterThan(1);
      expect(largest('subscription($n: Int) { itemUpdates { children(first: $n) { ...Child } } } fragment Child on Item { id name children(first: 2) { id } }')).toBe(written);
      expect(largest('subscription($n: Int) { itemUpdates { children(first: $n) { ... on Item { id name children(first: 2) { id } } } } }')).toBe(written);
    });
  });
});

describe('the error mapping', () => {
  it('answers a domain error thrown in a resolver by its kind and details, and drops nothing else', () => {
    const thrown = errors.notFound('Destination', 'ids[0]');
    const located = locatedError(thrown, undefined, ['item']);
    expect(client(located)).toEqual({ message: 'Destination not found', path: ['item'], locations: undefined, extensions: { code: 'NOT_FOUND', field: 'ids[0]' } });
  });

  it('keeps the extensions view callers branch on (`extensions.code`), a copy on each read', () => {
    const error = errors.conflict('Stale', { field: 'expectedVersion', currentVersion: 3 });
    expect(error).toBeInstanceOf(DomainError);
    expect(error.extensions).toEqual({ code: 'CONFLICT', field: 'expectedVersion', currentVersion: 3 });
    (error.extensions as Record<string, unknown>).http = { status: 500 };
    expect(error.extensions).not.toHaveProperty('http');
  });

  it('decides the HTTP status of the kinds that have one', () => {
    expect(httpOf(errors.tooManyRequests('Too many failed sign-in attempts', 7))).toEqual({ status: 429, headers: new Map([['retry-after', '7']]) });
    expect(httpOf(errors.tooComplex('Too many rows'))).toEqual({ status: 400 });
    expect(httpOf(errors.unauthenticated('Invalid credentials', true))).toEqual({ status: 401 });
    expect(httpOf(errors.unauthenticated())).toBeUndefined();
    expect(httpOf(errors.badInput([{ field: 'name', message: 'is empty' }]))).toBeUndefined();
    expect(httpOf(errors.notFound('Queue'))).toBeUndefined();
  });

  it('answers anything else as INTERNAL_SERVER_ERROR, reporting it and showing none of it', () => {
    const reported: unknown[] = [];
    const failure = new Error('duplicate key value violates unique constraint "x"');
    const formatted = formatClientError(locatedError(failure, undefined, ['rename']).toJSON(), locatedError(failure, undefined, ['rename']), (e) => reported.push(e));
    expect(formatted).toEqual({ message: 'Internal server error', path: ['rename'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(reported).toEqual([failure]);
  });

  it('gives HTTP answers the status and headers of their domain errors (Apollo Server)', async () => {
    const server = new ApolloServer({
      typeDefs: SDL,
      resolvers: {
        Query: {
          items: () => {
            throw errors.tooManyRequests('Too many failed sign-in attempts', 9);
          },
          item: () => {
            throw errors.notFound('Item', 'id');
          },
        },
      },
      validationRules: [...admission.validationRules],
      parseOptions: admission.parseOptions,
      formatError: (formatted, error) => formatClientError(formatted, error, (e) => internals.push(e)),
      plugins: [admission.plugin(() => undefined), domainErrorStatus()],
    });
    await server.start();
    try {
      const throttled = await server.executeOperation({ query: '{ items { id } }' });
      expect(throttled.http.status).toBe(429);
      expect(throttled.http.headers.get('retry-after')).toBe('9');
      expect(throttled.body.kind === 'single' && throttled.body.singleResult.errors).toEqual([
        { message: 'Too many failed sign-in attempts; try again in 9 s', locations: [{ line: 1, column: 3 }], path: ['items'], extensions: { code: 'TOO_MANY_REQUESTS', retryAfterSec: 9 } },
      ]);

      const missing = await server.executeOperation({ query: '{ item(id: "x") { id } }' });
      expect(missing.http.status).toBeUndefined();
      expect(missing.body.kind === 'single' && missing.body.singleResult.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', field: 'id' });

      const nul = await server.executeOperation({ query: 'query($s: String) { items(nameContains: $s) { id } }', variables: { s: 'a\u0000' } });
      expect(nul.http.status).toBe(400);
      expect(nul.body.kind === 'single' && nul.body.singleResult.errors).toEqual([
        { message: 'nameContains: must not contain a NUL character', extensions: { code: 'BAD_USER_INPUT', field: 'nameContains', problems: [{ field: 'nameContains', message: 'must not contain a NUL character' }] } },
      ]);
    } finally {
      await server.stop();
    }
  });
});
