import { DEMO_LOGIN, formatSummary, helpText, OPTIONS, parseSimulateArgs, UsageError, type ParsedCommand } from '../../simulator/simulate-cli';
import { Simulator } from '../../simulator/simulator';
import { resolveSimulatorConfig, SIMULATOR_DEFAULTS, SimulatorConfigError } from '../../simulator/simulator-config';

function run(argv: string[]): Extract<ParsedCommand, { kind: 'run' }> {
  const parsed = parseSimulateArgs(argv);
  if (parsed.kind !== 'run') throw new Error('expected a run');
  return parsed;
}

function usageError(argv: string[]): string {
  try {
    parseSimulateArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).message;
  }
  throw new Error(`no UsageError for ${argv.join(' ')}`);
}

describe('simulate --help', () => {
  it('answers -h and --help with the help text, even among other options', () => {
    expect(parseSimulateArgs(['--help'])).toEqual({ kind: 'help', text: helpText() });
    expect(parseSimulateArgs(['-h'])).toEqual({ kind: 'help', text: helpText() });
    expect(parseSimulateArgs(['--rate', '3', '--help']).kind).toBe('help');
  });

  it('documents every option the parser accepts', () => {
    const text = helpText();
    for (const option of OPTIONS) expect(text).toMatch(new RegExp(`--${option.name}\\b`));
    expect(text).toContain('Usage: npm run simulate -- [options]');
  });

  it('covers the options of the brief', () => {
    const names = OPTIONS.map((o) => o.name);
    for (const name of [
      'url', 'company', 'username', 'password', 'connector-key', 'queue', 'no-agents-available', 'rate', 'duration', 'calls', 'seed',
      'time-scale', 'agent-answer', 'agent-busy', 'dest-answer', 'dest-busy', 'dest-fail', 'silent-no-answer', 'talk-time', 'patience', 'help',
      'service-number', 'flows', 'flow-number', 'dest-hand-back', 'hand-back-after', 'hand-back-queue',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('shows a default for every option that takes a value', () => {
    const text = helpText();
    for (const option of OPTIONS.filter((o) => o.kind !== 'flag' && o.name !== 'calls')) {
      const line = text.split('\n').find((l) => new RegExp(`^\\s+(-\\w, )?--${option.name} `).test(l));
      expect(line).toContain('(default: ');
    }
  });
});

describe('simulate arguments', () => {
  it('runs the demo with no arguments: demo login, new connector key, every queue, agents AVAILABLE, 60 s', () => {
    const { options, cli } = run([]);
    expect(options).toMatchObject({
      company: DEMO_LOGIN.company, username: DEMO_LOGIN.username, password: DEMO_LOGIN.password, connectorKey: undefined,
      queueIds: undefined, setAgentsAvailable: true, durationSec: 60, calls: undefined, silentNoAnswer: false, useFlows: false, flowNumbers: undefined,
    });
    expect(cli).toEqual({ drainSec: 120, statsEverySec: 10, logLevel: 'info', json: false });
    const config = resolveSimulatorConfig(options, 1);
    expect(config.url).toBe(SIMULATOR_DEFAULTS.url);
    expect(config.agent).toEqual(SIMULATOR_DEFAULTS.agent);
    expect(config.destination).toEqual(SIMULATOR_DEFAULTS.destination);
    expect(config).toMatchObject({ useFlows: false, flowNumbers: undefined });
  });

  it('reads every value option', () => {
    const { options, cli } = run([
      '--url', 'http://gw:4000/graphql', '--ws-url', 'ws://gw:4000/graphql', '--company', 'acme', '--username', 'boss', '--password', 'pw',
      '--connector-key', 'ck', '--key-name', 'load', '--queue', 'q1', '--queue', 'q2', '--no-agents-available',
      '--rate', '2.5', '--duration', '90', '--calls', '100', '--arrival', 'uniform', '--seed', '42', '--time-scale', '0.01',
      '--service-number', '+441234567890', '--priority', '3',
      '--agent-answer', '0.6', '--agent-busy', '0.1', '--agent-reject', '0.1', '--dest-answer', '0.5', '--dest-busy', '0.2', '--dest-fail', '0.3',
      '--dest-hand-back', '0.25', '--hand-back-after', '15', '--hand-back-queue', 'q3', '--silent-no-answer', '--ring-time', '4', '--quick-time', '0.5', '--ring-timeout', '25', '--talk-time', '45', '--patience', '0', '--jitter', '0.2',
      '--max-active', '50', '--max-in-flight', '8', '--request-timeout', '5000', '--drain', '30', '--stats-every', '0', '--log-level', 'warn', '--json',
    ]);
    expect(options).toEqual({
      url: 'http://gw:4000/graphql', wsUrl: 'ws://gw:4000/graphql', company: 'acme', username: 'boss', password: 'pw', connectorKey: 'ck',
      connectorKeyName: 'load', queueIds: ['q1', 'q2'], useFlows: false, setAgentsAvailable: false, rate: 2.5, durationSec: 90, calls: 100, arrival: 'uniform',
      seed: 42, timeScale: 0.01, serviceNumber: '+441234567890', priority: 3,
      agent: { answer: 0.6, busy: 0.1, reject: 0.1 }, destination: { answer: 0.5, busy: 0.2, fail: 0.3, handBack: 0.25 },
      handBackAfterSec: 15, handBackQueueId: 'q3', silentNoAnswer: true,
      ringTimeSec: 4, quickOutcomeSec: 0.5, defaultRingTimeoutSec: 25, talkTimeSec: 45, patienceSec: 0, jitter: 0.2,
      maxActiveCalls: 50, maxInFlight: 8, requestTimeoutMs: 5000,
    });
    expect(cli).toEqual({ drainSec: 30, statsEverySec: 0, logLevel: 'warn', json: true });
  });

  it('reads --flows and repeated --flow-number options', () => {
    const { options } = run(['--flows', '--flow-number', '+441134960001', '--flow-number', '+441134960002', '--connector-key', 'ck', '--no-agents-available']);
    expect(options).toMatchObject({ useFlows: true, flowNumbers: ['+441134960001', '+441134960002'], queueIds: undefined });
    expect(resolveSimulatorConfig(options, 1)).toMatchObject({ useFlows: true, flowNumbers: ['+441134960001', '+441134960002'], queueIds: undefined });
  });

  it('dials the --service-number alone with --flows and no --flow-number', () => {
    expect(resolveSimulatorConfig(run(['--flows']).options, 1).flowNumbers).toEqual([SIMULATOR_DEFAULTS.serviceNumber]);
    expect(resolveSimulatorConfig(run(['--flows', '--service-number', '+441134960123']).options, 1).flowNumbers).toEqual(['+441134960123']);
    // --flow-number takes the place of the service number.
    const both = run(['--flows', '--service-number', '+441134960123', '--flow-number', '+441134960456']).options;
    expect(resolveSimulatorConfig(both, 1).flowNumbers).toEqual(['+441134960456']);
  });

  it('checks flow numbers and what --flows cannot be combined with, in the names of the command line', () => {
    const message = usageError(['--flows', '--flow-number', '01134960000', '--flow-number', '+44 113 496 0000', '--flow-number', '+1234567', '--flow-number', '+1234567890123456']);
    expect(message).toContain('--flow-number must be E.164 numbers: + and 8-15 digits (got "01134960000")');
    expect(message).toContain('(got "+44 113 496 0000")');
    expect(message).toContain('(got "+1234567")');
    expect(message).toContain('(got "+1234567890123456")');
    expect(() => run(['--flows', '--flow-number', '+12345678', '--flow-number', '+123456789012345'])).not.toThrow();
    expect(usageError(['--flows', '--service-number', 'reception'])).toContain(
      '--service-number must be an E.164 number with --flows: + and 8-15 digits (got "reception")',
    );
    expect(usageError(['--flows', '--service-number', ''])).toContain('--flows needs --flow-number, or a --service-number to dial');
    expect(usageError(['--flow-number', '+441134960000'])).toContain('--flow-number given without --flows');
    expect(usageError(['--flows', '--queue', 'q1'])).toContain('--queue cannot be combined with --flows');
    expect(usageError(['--flows', '--priority', '2'])).toContain('--priority cannot be combined with --flows');
  });

  it('generates without a time limit when only --calls is given', () => {
    expect(run(['--calls', '10']).options).toMatchObject({ calls: 10, durationSec: undefined });
  });

  it('leaves the other probabilities at their defaults when one is given', () => {
    const config = resolveSimulatorConfig(run(['--agent-answer', '0.5']).options, 1);
    expect(config.agent).toEqual({ ...SIMULATOR_DEFAULTS.agent, answer: 0.5 });
  });

  it('refuses unknown options, positionals, missing values and values that look like options', () => {
    expect(usageError(['--bogus'])).toContain("'--bogus'");
    expect(usageError(['extra'])).toContain('extra');
    expect(usageError(['--rate'])).toContain('--rate');
    expect(usageError(['--drain', '-1'])).toContain("'--drain' argument is ambiguous");
  });

  it('names each wrong value', () => {
    const message = usageError(['--rate', 'fast', '--calls', '1.5', '--agent-answer', '2', '--arrival', 'bursty', '--log-level', 'loud', '--drain=-1']);
    expect(message).toContain("--rate must be a number (got 'fast')");
    expect(message).toContain("--calls must be a whole number (got '1.5')");
    expect(message).toContain("--agent-answer must be a probability between 0 and 1 (got '2')");
    expect(usageError(['--dest-hand-back', '1.5'])).toContain("--dest-hand-back must be a probability between 0 and 1 (got '1.5')");
    expect(usageError(['--hand-back-after=-3'])).toContain('--hand-back-after must be a number of at least 0 (got -3)');
    expect(message).toContain('--arrival must be poisson or uniform');
    expect(message).toContain('--log-level must be one of');
    expect(message).toContain('--drain must be at least 0');
  });

  it('checks the values together, in the names of the command line', () => {
    expect(usageError(['--agent-answer', '0.9', '--agent-busy', '0.2'])).toContain('agent (--agent-*): probabilities add up to 1.1');
    expect(usageError(['--dest-answer', '0.5', '--dest-busy', '0.3', '--dest-fail', '0.3'])).toContain('destination (--dest-*)');
    expect(usageError(['--rate', '0'])).toContain('--rate must be a number above 0');
    expect(usageError(['--time-scale', '0'])).toContain('--time-scale must be a number above 0');
    expect(usageError(['--jitter', '2'])).toContain('--jitter must be between 0 and 1');
    expect(usageError(['--url', 'ftp://x/graphql'])).toContain('--url must start with http:// or https://');
    expect(usageError(['--seed=-1'])).toContain('--seed must be a whole number from 0 to 4294967295');
  });

  it('needs no administrator with a connector key, named queues and agents left alone', () => {
    const options = { connectorKey: 'ck', queueIds: ['q1'], setAgentsAvailable: false };
    expect(() => resolveSimulatorConfig(options, 1)).not.toThrow();
    expect(() => resolveSimulatorConfig({ ...options, setAgentsAvailable: true }, 1)).toThrow(
      'company, username and password are needed to set agents available',
    );
    expect(() => resolveSimulatorConfig({}, 1)).toThrow(SimulatorConfigError);
  });

  it('needs no queues with call flows: no administrator with a connector key and agents left alone', () => {
    expect(() => resolveSimulatorConfig({ connectorKey: 'ck', useFlows: true, setAgentsAvailable: false }, 1)).not.toThrow();
    expect(() => resolveSimulatorConfig({ connectorKey: 'ck', useFlows: false, setAgentsAvailable: false }, 1)).toThrow(
      'company, username and password are needed to list queues',
    );
    expect(() => resolveSimulatorConfig({ useFlows: true, setAgentsAvailable: false }, 1)).toThrow(
      /^company, username and password are needed to create a connector key$/,
    );
  });
});

describe('the summary', () => {
  it('prints every counter for people', () => {
    const simulator = new Simulator({ company: 'demo', username: 'admin', password: 'pw', seed: 9 });
    const text = formatSummary({
      ...simulator.summary(), callsOffered: 12, answeredByAgents: 7, answeredByDestinations: 3, abandoned: 2, errors: 1, errorsByCode: { NETWORK: 1 },
      handedBack: 2, handBacksRefused: 1, answeredByAgentsAfterHandBack: 2, probesReported: { SUCCEEDED: 4, FAILED: 3, TIMED_OUT: 0 }, probeRaces: 1,
    });
    expect(text).toContain('Simulation summary (seed 9');
    expect(text).toContain('offered 12');
    expect(text).toContain('RING_AGENT 0, DIAL_EXTERNAL 0, CANCEL_ATTEMPT 0, PLAY_MESSAGE 0, DISCONNECT 0, PROBE_DESTINATION 0');
    expect(text).toContain('handed back   2 by destinations (refused 1), then answered by agents 2');
    expect(text).toContain('probes        SUCCEEDED 4, FAILED 3, TIMED_OUT 0; races 1');
    expect(text).toContain('ANSWERED 0, BUSY 0, NO_ANSWER 0, REJECTED 0, FAILED 0');
    expect(text).toContain('by agents 7, by destinations 3');
    expect(text).toContain('abandoned 2');
    expect(text).toContain('errors        1 (NETWORK 1)');
    expect(text).toContain('setup         0 queue(s)');
  });

  it('names the flow numbers dialled instead of queues with call flows', () => {
    const simulator = new Simulator({ connectorKey: 'ck', useFlows: true, setAgentsAvailable: false, seed: 9 });
    expect(formatSummary({ ...simulator.summary(), flowNumbers: 2 })).toContain('setup         2 flow number(s), 0 agent(s) set AVAILABLE');
  });
});

describe('Simulator without a gateway', () => {
  it('checks its options when constructed', () => {
    expect(() => new Simulator({ rate: -1, company: 'demo', username: 'admin', password: 'pw' })).toThrow(SimulatorConfigError);
  });

  it('uses the given seed, or a fresh one it reports', () => {
    expect(new Simulator({ company: 'demo', username: 'admin', password: 'pw', seed: 7 }).config.seed).toBe(7);
    const seed = new Simulator({ company: 'demo', username: 'admin', password: 'pw' }).config.seed;
    expect(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff).toBe(true);
  });

  it('starts with zero counters and stops (idempotently) before starting', async () => {
    const simulator = new Simulator({ company: 'demo', username: 'admin', password: 'pw', seed: 1 });
    const before = simulator.summary();
    expect(before).toMatchObject({ seed: 1, callsOffered: 0, ended: 0, errors: 0, activeCalls: 0 });
    const stopping = simulator.stop();
    expect(simulator.stop()).toBe(stopping);
    await expect(stopping).resolves.toMatchObject({ callsOffered: 0 });
    await expect(simulator.start()).rejects.toThrow('a Simulator starts once');
  });
});
