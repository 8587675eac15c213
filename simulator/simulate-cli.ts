import { parseArgs } from 'node:util';
import type { SimulatorSummary } from './simulator';
import { resolveSimulatorConfig, SIMULATOR_DEFAULTS, SimulatorConfigError, type SimulatorOptions } from './simulator-config';

/*
 * Command line of `npm run simulate`: one table of options gives both the parser's configuration and the
 * --help text, so every option is documented.
 */

/** The demo company's administrator (seeded on a first development start). */
export const DEMO_LOGIN = { company: 'demo', username: 'admin', password: 'demo-admin-password' } as const;

/** Settings of the command itself (not of the Simulator). */
export interface CliSettings {
  /** Longest wait for calls still alive after generation ends (simulated seconds). */
  drainSec: number;
  /** Real seconds between progress lines; 0 for none. */
  statsEverySec: number;
  logLevel: string;
  /** Print the summary as JSON. */
  json: boolean;
}

export type ParsedCommand = { kind: 'help'; text: string } | { kind: 'run'; options: SimulatorOptions; cli: CliSettings };

/** Wrong arguments; the message says what is wrong. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Kind = 'string' | 'number' | 'int' | 'probability' | 'flag' | 'list';

interface OptionSpec {
  name: string;
  short?: string;
  kind: Kind;
  /** Placeholder of the value in --help. */
  value?: string;
  help: string;
  /** The default as --help shows it. */
  shown?: string;
  group: 'Gateway and credentials' | 'Traffic' | 'Behaviour of agents, destinations and callers' | 'Limits and output';
}

const D = SIMULATOR_DEFAULTS;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const CLI_DEFAULTS: CliSettings & { durationSec: number } = {
  durationSec: 60, drainSec: 120, statsEverySec: 10, logLevel: 'info', json: false,
};

export const OPTIONS: readonly OptionSpec[] = [
  { group: 'Gateway and credentials', name: 'url', kind: 'string', value: 'URL', help: 'GraphQL endpoint of the gateway over HTTP', shown: D.url },
  { group: 'Gateway and credentials', name: 'ws-url', kind: 'string', value: 'URL', help: 'GraphQL endpoint over WebSocket', shown: '--url with ws:// or wss://' },
  { group: 'Gateway and credentials', name: 'company', kind: 'string', value: 'SLUG', help: 'company of the administrator', shown: DEMO_LOGIN.company },
  { group: 'Gateway and credentials', name: 'username', kind: 'string', value: 'NAME', help: 'administrator who sets up the run', shown: DEMO_LOGIN.username },
  { group: 'Gateway and credentials', name: 'password', kind: 'string', value: 'PASSWORD', help: "the administrator's password", shown: "the demo administrator's" },
  { group: 'Gateway and credentials', name: 'connector-key', kind: 'string', value: 'KEY', help: 'an existing connector API key', shown: 'a new key is created' },
  { group: 'Gateway and credentials', name: 'key-name', kind: 'string', value: 'NAME', help: 'name of the connector API key created (a timestamp is added)', shown: D.connectorKeyName },
  { group: 'Gateway and credentials', name: 'queue', kind: 'list', value: 'ID', help: 'queue to send calls to; repeat for several (each call picks one at random); not with --flows', shown: 'every queue' },
  { group: 'Gateway and credentials', name: 'no-agents-available', kind: 'flag', help: 'leave agent statuses alone (otherwise every agent is set AVAILABLE first)' },

  { group: 'Traffic', name: 'rate', kind: 'number', value: 'N', help: 'calls per simulated second', shown: String(D.rate) },
  { group: 'Traffic', name: 'duration', kind: 'number', value: 'S', help: 'simulated seconds of call generation', shown: `${CLI_DEFAULTS.durationSec}, or unlimited with --calls` },
  { group: 'Traffic', name: 'calls', kind: 'int', value: 'N', help: 'calls to generate in all (with --duration: whichever comes first)' },
  { group: 'Traffic', name: 'arrival', kind: 'string', value: 'KIND', help: 'poisson (random gaps) or uniform (even gaps)', shown: D.arrival },
  { group: 'Traffic', name: 'seed', kind: 'int', value: 'N', help: 'seed of every random decision (0-4294967295); the same seed decides the same way', shown: 'random, printed at start' },
  { group: 'Traffic', name: 'time-scale', kind: 'number', value: 'F', help: 'real time per simulated time: 0.01 makes a 30 s talk last 300 ms', shown: String(D.timeScale) },
  { group: 'Traffic', name: 'service-number', kind: 'string', value: 'NUMBER', help: "the number callers dialled; '' sends none", shown: D.serviceNumber },
  { group: 'Traffic', name: 'priority', kind: 'int', value: 'N', help: 'priority sent with every call (not with --flows)', shown: 'none sent' },
  { group: 'Traffic', name: 'flows', kind: 'flag', help: 'send calls with startCall to a service number, running its published call flow, not to queues' },
  { group: 'Traffic', name: 'flow-number', kind: 'list', value: 'NUMBER', help: 'with --flows: service number (E.164) calls dial; repeat for several (each call picks one at random)', shown: 'the --service-number' },

  { group: 'Behaviour of agents, destinations and callers', name: 'agent-answer', kind: 'probability', value: 'P', help: 'probability an agent answers', shown: String(D.agent.answer) },
  { group: 'Behaviour of agents, destinations and callers', name: 'agent-busy', kind: 'probability', value: 'P', help: 'probability an agent is busy', shown: String(D.agent.busy) },
  { group: 'Behaviour of agents, destinations and callers', name: 'agent-reject', kind: 'probability', value: 'P', help: 'probability an agent rejects the call', shown: String(D.agent.reject) },
  { group: 'Behaviour of agents, destinations and callers', name: 'dest-answer', kind: 'probability', value: 'P', help: 'probability a destination answers', shown: String(D.destination.answer) },
  { group: 'Behaviour of agents, destinations and callers', name: 'dest-busy', kind: 'probability', value: 'P', help: 'probability a destination is busy', shown: String(D.destination.busy) },
  { group: 'Behaviour of agents, destinations and callers', name: 'dest-fail', kind: 'probability', value: 'P', help: 'probability dialling a destination fails', shown: String(D.destination.fail) },
  { group: 'Behaviour of agents, destinations and callers', name: 'dest-hand-back', kind: 'probability', value: 'P', help: 'share of the calls a destination answers that it hands back to a person (returnCall) after a conversation', shown: '0' },
  { group: 'Behaviour of agents, destinations and callers', name: 'hand-back-after', kind: 'number', value: 'S', help: 'mean conversation of a destination with a caller before it hands the call back', shown: String(D.handBackAfterSec) },
  { group: 'Behaviour of agents, destinations and callers', name: 'hand-back-queue', kind: 'string', value: 'ID', help: 'queue handed-back calls go to (returnCall queueId)', shown: 'the queue they came from' },
  { group: 'Behaviour of agents, destinations and callers', name: 'silent-no-answer', kind: 'flag', help: 'a ring-out reports nothing and the gateway times it out (otherwise NO_ANSWER at the ring timeout)' },
  { group: 'Behaviour of agents, destinations and callers', name: 'ring-time', kind: 'number', value: 'S', help: 'mean ring time before an answer (kept below the ring timeout)', shown: String(D.ringTimeSec) },
  { group: 'Behaviour of agents, destinations and callers', name: 'quick-time', kind: 'number', value: 'S', help: 'mean delay of a busy, rejected or failed outcome', shown: String(D.quickOutcomeSec) },
  { group: 'Behaviour of agents, destinations and callers', name: 'ring-timeout', kind: 'number', value: 'S', help: 'ring timeout when an instruction carries none', shown: String(D.defaultRingTimeoutSec) },
  { group: 'Behaviour of agents, destinations and callers', name: 'talk-time', kind: 'number', value: 'S', help: 'mean talk time of an answered call, then endCall COMPLETED', shown: String(D.talkTimeSec) },
  { group: 'Behaviour of agents, destinations and callers', name: 'patience', kind: 'number', value: 'S', help: 'mean patience of a caller not yet answered, then endCall CALLER_HUNG_UP; 0: never', shown: String(D.patienceSec) },
  { group: 'Behaviour of agents, destinations and callers', name: 'jitter', kind: 'number', value: 'F', help: 'spread of random times (0-1): 0.5 draws mean x [0.5, 1.5)', shown: String(D.jitter) },

  { group: 'Limits and output', name: 'max-active', kind: 'int', value: 'N', help: 'most calls alive at once; further arrivals are skipped and counted', shown: String(D.maxActiveCalls) },
  { group: 'Limits and output', name: 'max-in-flight', kind: 'int', value: 'N', help: 'most requests in flight at once', shown: String(D.maxInFlight) },
  { group: 'Limits and output', name: 'request-timeout', kind: 'int', value: 'MS', help: 'time limit of each request (real milliseconds)', shown: String(D.requestTimeoutMs) },
  { group: 'Limits and output', name: 'drain', kind: 'number', value: 'S', help: 'longest wait for calls still alive after generation ends (simulated seconds)', shown: String(CLI_DEFAULTS.drainSec) },
  { group: 'Limits and output', name: 'stats-every', kind: 'number', value: 'S', help: 'real seconds between progress lines; 0: none', shown: String(CLI_DEFAULTS.statsEverySec) },
  { group: 'Limits and output', name: 'log-level', kind: 'string', value: 'LEVEL', help: LOG_LEVELS.join(', '), shown: CLI_DEFAULTS.logLevel },
  { group: 'Limits and output', name: 'json', kind: 'flag', help: 'print the summary as JSON' },
  { group: 'Limits and output', name: 'help', short: 'h', kind: 'flag', help: 'show this help' },
];

/** The --help text: every option, grouped, with its default. */
export function helpText(): string {
  const left = (o: OptionSpec): string => `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ` ${o.value}` : ''}`;
  const width = Math.max(...OPTIONS.map((o) => left(o).length)) + 2;
  const lines = [
    'Usage: npm run simulate -- [options]',
    '',
    'Plays the telephony platform against a running gateway, through its public GraphQL API only: logs in,',
    'creates a connector API key, sets agents AVAILABLE, subscribes to telephony instructions, then offers calls',
    'to queues (or, with --flows, dials service numbers whose published call flows run them) and answers, rings',
    'out, is busy, hands calls back or hangs up as the probabilities below say; health probes of destinations',
    '(PROBE_DESTINATION) succeed. Ctrl-C stops the run and prints the summary. Times are simulated seconds;',
    '--time-scale turns them into real time.',
  ];
  for (const group of [...new Set(OPTIONS.map((o) => o.group))]) {
    lines.push('', `${group}:`);
    for (const o of OPTIONS.filter((x) => x.group === group)) {
      lines.push(`  ${left(o).padEnd(width)}${o.help}${o.shown ? ` (default: ${o.shown})` : ''}`);
    }
  }
  lines.push(
    '',
    'Probabilities of one kind add up to at most 1; the remainder rings out.',
    'Example: npm run simulate -- --rate 2 --duration 120 --time-scale 0.1 --seed 42',
    'Call flows: npm run simulate -- --flows --flow-number +441134960000 --flow-number +441134960001',
    '',
  );
  return lines.join('\n');
}

/** Parses the arguments after `simulate`; UsageError when they are wrong. */
export function parseSimulateArgs(argv: readonly string[]): ParsedCommand {
  const config = Object.fromEntries(
    OPTIONS.map((o) => [
      o.name,
      { type: o.kind === 'flag' ? ('boolean' as const) : ('string' as const), ...(o.short && { short: o.short }), ...(o.kind === 'list' && { multiple: true }) },
    ]),
  );
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: false }).values as typeof values;
  } catch (error) {
    const message = (error as { message?: unknown } | null)?.message;
    throw new UsageError(typeof message === 'string' ? message : String(error));
  }
  if (values.help) return { kind: 'help', text: helpText() };

  const problems: string[] = [];
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const num = (name: string, kind: 'number' | 'int' | 'probability'): number | undefined => {
    const text = str(name);
    if (text === undefined) return undefined;
    const n = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(n)) problems.push(`--${name} must be a number (got '${text}')`);
    else if (kind === 'int' && !Number.isInteger(n)) problems.push(`--${name} must be a whole number (got '${text}')`);
    else if (kind === 'probability' && (n < 0 || n > 1)) problems.push(`--${name} must be a probability between 0 and 1 (got '${text}')`);
    else return n;
    return undefined;
  };

  const arrival = str('arrival');
  if (arrival !== undefined && arrival !== 'poisson' && arrival !== 'uniform') problems.push(`--arrival must be poisson or uniform (got '${arrival}')`);
  const logLevel = str('log-level') ?? CLI_DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`--log-level must be one of ${LOG_LEVELS.join(', ')} (got '${logLevel}')`);

  const calls = num('calls', 'int');
  const duration = num('duration', 'number');
  const options: SimulatorOptions = {
    url: str('url'),
    wsUrl: str('ws-url'),
    company: str('company') ?? DEMO_LOGIN.company,
    username: str('username') ?? DEMO_LOGIN.username,
    password: str('password') ?? DEMO_LOGIN.password,
    connectorKey: str('connector-key'),
    connectorKeyName: str('key-name'),
    queueIds: values.queue as string[] | undefined,
    useFlows: Boolean(values.flows),
    flowNumbers: values['flow-number'] as string[] | undefined,
    setAgentsAvailable: !values['no-agents-available'],
    rate: num('rate', 'number'),
    durationSec: duration ?? (calls === undefined ? CLI_DEFAULTS.durationSec : undefined),
    calls,
    arrival: arrival as SimulatorOptions['arrival'],
    seed: num('seed', 'int'),
    timeScale: num('time-scale', 'number'),
    serviceNumber: str('service-number'),
    priority: num('priority', 'int'),
    agent: { answer: num('agent-answer', 'probability'), busy: num('agent-busy', 'probability'), reject: num('agent-reject', 'probability') },
    destination: {
      answer: num('dest-answer', 'probability'), busy: num('dest-busy', 'probability'), fail: num('dest-fail', 'probability'), handBack: num('dest-hand-back', 'probability'),
    },
    handBackAfterSec: num('hand-back-after', 'number'),
    handBackQueueId: str('hand-back-queue'),
    silentNoAnswer: Boolean(values['silent-no-answer']),
    ringTimeSec: num('ring-time', 'number'),
    quickOutcomeSec: num('quick-time', 'number'),
    defaultRingTimeoutSec: num('ring-timeout', 'number'),
    talkTimeSec: num('talk-time', 'number'),
    patienceSec: num('patience', 'number'),
    jitter: num('jitter', 'number'),
    maxActiveCalls: num('max-active', 'int'),
    maxInFlight: num('max-in-flight', 'int'),
    requestTimeoutMs: num('request-timeout', 'int'),
  };
  const cli: CliSettings = {
    drainSec: num('drain', 'number') ?? CLI_DEFAULTS.drainSec,
    statsEverySec: num('stats-every', 'number') ?? CLI_DEFAULTS.statsEverySec,
    logLevel,
    json: Boolean(values.json),
  };
  if (cli.drainSec < 0) problems.push(`--drain must be at least 0 (got ${cli.drainSec})`);
  if (cli.statsEverySec < 0) problems.push(`--stats-every must be at least 0 (got ${cli.statsEverySec})`);
  if (problems.length) throw new UsageError(problems.join('\n'));

  try {
    resolveSimulatorConfig(options, 0);
  } catch (error) {
    if (error instanceof SimulatorConfigError) throw new UsageError(error.problems.map(toOptionNames).join('\n'));
    throw error;
  }
  return { kind: 'run', options, cli };
}

/** Config field names in a problem, as the command line spells them. */
const FIELD_TO_OPTION: Record<string, string> = {
  queueIds: '--queue', useFlows: '--flows', flowNumbers: '--flow-number', serviceNumber: '--service-number',
  url: '--url', wsUrl: '--ws-url', rate: '--rate', durationSec: '--duration', calls: '--calls', seed: '--seed', timeScale: '--time-scale',
  ringTimeSec: '--ring-time', quickOutcomeSec: '--quick-time', defaultRingTimeoutSec: '--ring-timeout', jitter: '--jitter',
  talkTimeSec: '--talk-time', patienceSec: '--patience', priority: '--priority', maxActiveCalls: '--max-active',
  maxInFlight: '--max-in-flight', requestTimeoutMs: '--request-timeout', agent: 'agent (--agent-*)', destination: 'destination (--dest-*)',
  handBackAfterSec: '--hand-back-after',
};

/** The first word of a problem, and any camelCase field name in it (never an ordinary word), as options. */
function toOptionNames(problem: string): string {
  const match = /^(\w+)/.exec(problem);
  const option = match ? FIELD_TO_OPTION[match[1]!] : undefined;
  const renamed = option ? option + problem.slice(match![1]!.length) : problem;
  return renamed.replace(/\b[a-z]+[A-Z]\w*\b/g, (word) => FIELD_TO_OPTION[word] ?? word);
}

/** A summary for people: one line per topic. */
export function formatSummary(s: SimulatorSummary): string {
  const list = (counts: Record<string, number>): string =>
    Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  return [
    `Simulation summary (seed ${s.seed}, ${(s.elapsedMs / 1000).toFixed(1)} s)`,
    `  setup         ${s.flowNumbers ? `${s.flowNumbers} flow number(s)` : `${s.queues} queue(s)`}, ${s.agentsMadeAvailable} agent(s) set AVAILABLE`,
    `  calls         offered ${s.callsOffered}, enqueued ${s.callsEnqueued}, refused ${s.callsRefused}, skipped at capacity ${s.callsSkipped}, still active ${s.activeCalls}`,
    `  instructions  ${list(s.instructions)}; unknown ${s.unknownInstructions}, late ${s.lateInstructions}`,
    `  outcomes      ${list(s.outcomesReported)}; races ${s.outcomeRaces}, silent ring-outs ${s.silentNoAnswers}, cancelled before an outcome ${s.attemptsCancelled}`,
    `  answered      by agents ${s.answeredByAgents}, by destinations ${s.answeredByDestinations}`,
    `  handed back   ${s.handedBack} by destinations (refused ${s.handBacksRefused}), then answered by agents ${s.answeredByAgentsAfterHandBack}`,
    `  probes        ${list(s.probesReported)}; races ${s.probeRaces}`,
    `  ended         ${s.ended}: completed ${s.completed}, abandoned ${s.abandoned}, disconnected by the gateway ${s.disconnected}; endCall races ${s.endCallRaces}, lost after failed endCall ${s.callsLost}`,
    `  errors        ${s.errors}${s.errors ? ` (${list(s.errorsByCode)})` : ''}`,
    '',
  ].join('\n');
}
