/**
 * THE builder of every Redis key the gateway uses, so that names live in one place. `prefix` separates
 * deployments (and tests: each test has its own); it is the start of every key and channel.
 *
 * Hash tags (decision 030): a Redis Cluster places a key by the part between its first `{` and `}` when there
 * is one, and a script, a transaction, a pipeline or a multi-key command (MGET) may only touch keys of one
 * slot. Every key of a company carries the tag `{co:<company>}`, so whatever is used together (a destination's
 * leases, health and the company's generation stamp; the connector sessions' set, hashes and turn; the agents
 * or the healths read in one pipeline; the sequences of one MGET) shares a slot, and companies spread over the
 * masters. The deployment's timers share `{timers}` (one script moves them between their three keys), the
 * generation and its lock `{generation}`. Keys used on their own (the throttling counters) need no tag, and
 * channels are not keys (a plain PUBLISH reaches every node of a cluster). This is the only place that knows
 * the tags; test/unit/redis-key-slots.test.ts checks the keys of every script and batch against them.
 */
export function redisKeys(prefix: string) {
  const company = (companyId: string) => `${prefix}:{co:${companyId}}`;
  /** Channels of a company: not keys, so no tag (the names channels have always had). */
  const companyChannel = (companyId: string) => `${prefix}:co:${companyId}`;
  return {
    /** Timers of the whole deployment: due (sorted by due time), payloads, and claimed ones in flight. */
    timersDue: () => `${prefix}:{timers}:due`,
    timerPayloads: () => `${prefix}:{timers}:payload`,
    timersInFlight: () => `${prefix}:{timers}:inflight`,
    /** Sorted set of capacity leases of one destination: attempt id -> expiry (ms, Redis time). */
    destinationLeases: (companyId: string, destinationId: string) => `${company(companyId)}:dest:${destinationId}:leases`,
    /** Set of the attempt ids of one destination whose calls were answered. */
    destinationAnswered: (companyId: string, destinationId: string) => `${company(companyId)}:dest:${destinationId}:answered`,
    /** Sorted set of the leases of one capacity pool (decision 038): attempt id -> expiry, as a destination's. */
    poolLeases: (companyId: string, poolId: string) => `${company(companyId)}:pool:${poolId}:leases`,
    /** Set of the attempt ids of one capacity pool whose calls were answered. */
    poolAnswered: (companyId: string, poolId: string) => `${company(companyId)}:pool:${poolId}:answered`,
    /** Hash of one destination's health: back-off and consecutive failures (seq-versioned). */
    destinationHealth: (companyId: string, destinationId: string) => `${company(companyId)}:dest:${destinationId}:health`,
    /** Change counter of one destination's or queue's live state (the `seq` of its updates). */
    sequence: (companyId: string, kind: string, id: string) => `${company(companyId)}:seq:${kind}:${id}`,
    /** Pub/sub channel of the live updates of one resource of a company (`*` for all of that kind). */
    updatesChannel: (companyId: string, kind: string, id: string) => `${companyChannel(companyId)}:updates:${kind}:${id}`,
    /** Pub/sub channel of the telephony instructions of one company. */
    instructionChannel: (companyId: string) => `${companyChannel(companyId)}:instructions`,
    /** Copy of a company's authority version (the system of record's company.authorityVersion), only ever raised. */
    authorityVersion: (companyId: string) => `${company(companyId)}:authority-version`,
    /** Pub/sub channel of committed changes of authority and configuration, of every company. */
    modelChangesChannel: () => `${prefix}:model-changes`,
    /** Sorted set of a company's live connector sessions: session id -> lease expiry (ms, Redis time). */
    connectorSessions: (companyId: string) => `${company(companyId)}:connector-sessions`,
    /** Hash of a company's live connector sessions: session id -> the connector key it authenticated with. */
    connectorSessionKeys: (companyId: string) => `${company(companyId)}:connector-session-keys`,
    /**
     * Hash of a company's live connector sessions that acknowledge their instructions explicitly (declared on
     * the subscription, decision 023): session id -> `1`; a session that did not declare it has no field.
     */
    connectorSessionAcks: (companyId: string) => `${company(companyId)}:connector-session-acks`,
    /** Round-robin turn counter of a company's instruction deliveries. */
    connectorTurn: (companyId: string) => `${company(companyId)}:connector-turn`,
    /**
     * Key prefixes of the throttling of failed sign-ins and connector keys (rate-limiter-flexible appends
     * `:<key>`, the key being a kind and a digest or an address, e.g. `login:3f2a…`): failures counted in their
     * window, and the blocks running.
     */
    authFailures: () => `${prefix}:auth-throttle:failures`,
    authBlocks: () => `${prefix}:auth-throttle:blocks`,
    /**
     * The live state's generation (decision 022): an id set once the live state was rebuilt from the system of
     * record, so a missing or different id tells an instance that Redis was emptied or replaced; with `lock`, the
     * short lock of the one instance rebuilding it. Named `{generation}` since the company keys took their tags
     * (decision 030): an instance of this version finds no generation under its names on a Redis written by an
     * earlier one, and rebuilds the live state where its keys are.
     */
    liveGeneration: (part: 'id' | 'lock' = 'id') => (part === 'id' ? `${prefix}:{generation}` : `${prefix}:{generation}:rebuilding`),
    /** A company's copy of the generation, beside its leases: a new slot is taken only while it holds the generation the taker works in. */
    generationStamp: (companyId: string) => `${company(companyId)}:generation`,
    /** Hash of one regular agent's live state (status, activity, call, times, seq). */
    agent: (companyId: string, agentId: string) => `${company(companyId)}:agent:${agentId}`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
