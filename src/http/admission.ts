import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener } from '@apollo/server';
import {
  getOperationAST, GraphQLError, Kind, OperationTypeNode, parse, specifiedRules, validate, visit,
  type ArgumentNode, type DocumentNode, type GraphQLSchema, type ParseOptions, type ValidationRule, type ValueNode,
} from 'graphql';
import type { Limits } from '../config';
import { errors, type DomainError, type InputProblem } from '../errors';
import { boundsProblems } from '../input-bounds';
import { asksStatistics, checkCost, limitRules, type StatisticsSizes } from '../limits';
import { toGraphQLError } from './error-mapping';
import { oneMutationPerRequest } from './one-mutation';

/**
 * THE request admission: what an operation must pass before it runs, on every transport, with the same
 * errors on each (decisions 015, 016 and 019).
 *
 * 1. Parsing, within `maxTokens` tokens: GRAPHQL_PARSE_FAILED.
 * 2. Validation: graphql-js's rules, the depth and alias limits (QUERY_TOO_COMPLEX) and one mutation per
 *    request (GRAPHQL_VALIDATION_FAILED); "Did you mean ...?" hints are left out when schema details are hidden.
 * 3. Once the variables are known: no NUL character in any input, every string and number within its bounds
 *    (BAD_USER_INPUT naming the input, HTTP 400), and the cost with the variables' values (QUERY_TOO_COMPLEX,
 *    HTTP 400).
 *
 * Over HTTP, Apollo Server runs steps 1 and 2 with `parseOptions` and `validationRules`, and step 3 through
 * `plugin` once it resolved the operation. Over WebSocket, `admit` runs all three (and refuses operations of
 * another type than the transport serves).
 */
export interface AdmissionOptions {
  limits: Limits;
  /** Leave "Did you mean ...?" out of validation messages (production: schema details are hidden). */
  hideSuggestions: boolean;
}

/** One operation as a client sends it. */
export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** What `admit` answers: the parsed and validated document, or the errors the operation is refused with. */
export type Admission = { document: DocumentNode; errors?: undefined } | { document?: undefined; errors: readonly GraphQLError[] };

/** The operation type a transport serves, and the refusal of any other (BAD_REQUEST). */
export interface ServedOperations {
  operation: OperationTypeNode;
  refusal: string;
}

/** graphql-ws serves subscriptions; queries and mutations go over HTTP. */
export const SUBSCRIPTIONS_ONLY: ServedOperations = {
  operation: OperationTypeNode.SUBSCRIPTION,
  refusal: 'Only subscriptions are served over WebSocket; send queries and mutations over HTTP',
};

/** Parsed and validated documents kept for reuse by `admit`, by query text (dashboards send the same few). */
const DOCUMENT_CACHE_SIZE = 500;

/** What is wrong with an operation before it runs: a NUL character (its input path), inputs out of bounds, or its cost. */
export interface OperationProblems {
  nul: string | null;
  /** Strings over their length and numbers out of their range (input-bounds.ts), every one. */
  bounds: readonly InputProblem[];
  cost: readonly DomainError[];
}

export class RequestAdmission {
  /** The parser's limits (step 1). */
  readonly parseOptions: ParseOptions;
  /** The validation rules besides graphql-js's own (step 2). */
  readonly validationRules: readonly ValidationRule[];
  private readonly rules: readonly ValidationRule[];
  private readonly documents = new Map<string, DocumentNode>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly options: AdmissionOptions,
  ) {
    this.parseOptions = { maxTokens: options.limits.maxTokens };
    this.validationRules = [...limitRules(options.limits), oneMutationPerRequest];
    this.rules = [...specifiedRules, ...this.validationRules];
  }

  /** Step 3: the refusal of an operation parsed and validated, with its variables (statistics counted with `sizes`), or null. */
  refusal(document: DocumentNode, variables: Record<string, unknown> | null | undefined, sizes?: StatisticsSizes): DomainError | null {
    return operationRefusal(operationProblems(this.schema, document, variables, this.options.limits, sizes));
  }

  /**
   * Steps 1 to 3 for a transport that parses and validates itself: the document, or the errors to answer. A
   * document that parsed and validated is kept by query text; the operation name picks the operation each time.
   */
  admit(request: OperationRequest, served: ServedOperations, sizes?: StatisticsSizes): Admission {
    let document = this.documents.get(request.query);
    if (document === undefined) {
      try {
        document = parse(request.query, this.parseOptions);
      } catch (error) {
        // Coded as Apollo Server codes it (GRAPHQL_PARSE_FAILED), with the same message and location.
        const e = error instanceof GraphQLError ? error : new GraphQLError('Syntax error');
        return { errors: [new GraphQLError(e.message, { source: e.source, positions: e.positions, originalError: e, extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
      }
      const unserved = refusalIfNotServed(document, request.operationName, served);
      if (unserved !== null) return { errors: [unserved] };
      const invalid = validate(this.schema, document, this.rules);
      if (invalid.length > 0) return { errors: invalid.map((e) => this.validationError(e)) };
      if (this.documents.size >= DOCUMENT_CACHE_SIZE) this.documents.delete(this.documents.keys().next().value!);
      this.documents.set(request.query, document);
    } else {
      // What the cached document passed for one operation name says nothing of another's type.
      const unserved = refusalIfNotServed(document, request.operationName, served);
      if (unserved !== null) return { errors: [unserved] };
    }
    const refusal = this.refusal(document, request.variables, sizes);
    return refusal === null ? { document } : { errors: [toGraphQLError(refusal)] };
  }

  /**
   * Step 3 in Apollo Server, once the operation is resolved (the cost needs the variables' values; statistics
   * count what the caller may see, `sizes`). A refusal fails the request before anything runs.
   */
  plugin<C extends BaseContext>(sizes: (context: C) => Promise<StatisticsSizes | undefined> | StatisticsSizes | undefined): ApolloServerPlugin<C> {
    const listener: GraphQLRequestListener<C> = {
      didResolveOperation: async ({ document, request, contextValue }) => {
        const refusal = this.refusal(document, request.variables, await sizes(contextValue));
        if (refusal !== null) throw toGraphQLError(refusal);
      },
    };
    return {
      async requestDidStart() {
        return listener;
      },
    };
  }

  /** A validation error as Apollo Server answers it: the limit rules' keep QUERY_TOO_COMPLEX, any other is GRAPHQL_VALIDATION_FAILED. */
  private validationError(e: GraphQLError): GraphQLError {
    if (e.extensions.code !== undefined) return e;
    const message = this.options.hideSuggestions ? e.message.replace(/ ?Did you mean(.+?)\?$/, '') : e.message;
    return new GraphQLError(message, { nodes: e.nodes, originalError: e, extensions: { ...e.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } });
  }
}

/** The refusal of an operation the transport does not serve (or that the document does not hold), or null. */
function refusalIfNotServed(document: DocumentNode, operationName: string | null | undefined, served: ServedOperations): GraphQLError | null {
  const operation = getOperationAST(document, operationName);
  if (operation !== null && operation !== undefined && operation.operation === served.operation) return null;
  return new GraphQLError(served.refusal, { extensions: { code: 'BAD_REQUEST' } });
}

/** The answers for documents sent without variables, which depend on the document alone. */
const fixedProblems = new WeakMap<DocumentNode, OperationProblems>();

/**
 * The checks of step 3: a NUL character anywhere in an operation's inputs, the bounds of its strings and
 * numbers, and its cost with its variables' values (statistics with the caller's `sizes`). Documents are
 * cached by both transports, so for one sent without variables (and asking no statistics, whose cost depends
 * on the caller) the answer is worked out once.
 */
export function operationProblems(
  schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | null | undefined, limits: Limits, sizes?: StatisticsSizes,
): OperationProblems {
  const fixed = variables === null || variables === undefined || Object.keys(variables).length === 0;
  if (fixed) {
    const known = fixedProblems.get(document);
    if (known !== undefined) return known;
  }
  const problems = {
    nul: findNulCharacter(document, variables ?? undefined),
    bounds: boundsProblems(schema, document, variables ?? undefined),
    cost: checkCost(schema, document, variables ?? undefined, limits, sizes),
  };
  if (fixed && !asksStatistics(document)) fixedProblems.set(document, problems);
  return problems;
}

/** The refusal of an operation with problems (over HTTP: 400), or null: a NUL character, then bounds, then cost. */
export function operationRefusal(problems: OperationProblems): DomainError | null {
  if (problems.nul !== null) return errors.badInput([{ field: problems.nul, message: 'must not contain a NUL character' }], true);
  if (problems.bounds.length > 0) return errors.badInput([...problems.bounds], true);
  return problems.cost[0] ?? null;
}

/**
 * Finds a NUL character in any string a request carries (literal arguments and variables), which no
 * field accepts and PostgreSQL cannot store. Returns the input path of the first one (the argument name
 * for a variable passed as an argument), or null.
 */
export function findNulCharacter(document: DocumentNode, variables: Record<string, unknown> | undefined): string | null {
  const argumentOf = new Map<string, string>();
  let found: string | null = null;
  visit(document, {
    Argument(node: ArgumentNode) {
      if (node.value.kind === Kind.VARIABLE) argumentOf.set(node.value.name.value, node.name.value);
      else if (found === null) found = pathOfNul(literalValue(node.value), node.name.value);
    },
  });
  for (const [name, value] of Object.entries(variables ?? {})) {
    found ??= pathOfNul(value, argumentOf.get(name) ?? name);
  }
  return found;
}

function literalValue(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.STRING:
      return node.value;
    case Kind.LIST:
      return node.values.map(literalValue);
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literalValue(f.value)]));
    default:
      return null;
  }
}

function pathOfNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const p = pathOfNul(value[i], `${path}[${i}]`);
      if (p) return p;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = pathOfNul(v, `${path}.${k}`);
      if (p) return p;
    }
  }
  return null;
}
