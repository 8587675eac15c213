import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { loadConfig } from '../src/config';
import { createGateway, type Gateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { evaluateTimeRange } from '../src/routing/schedule';
import {
  DEMO_SHARED_OVERFLOW, DEMO_SOUTH_PROBE, LIVE_DEMO_NIGHT_HOURS, LIVE_DEMO_PARTNER_BUSY_BACKOFF_SEC, LIVE_DEMO_SUPPORT_OVERFLOW_WAIT_SEC, seedLiveDemoExtras,
  type DemoCredentials, type LiveDemoSetup,
} from '../src/seed/demo-seed';
import { lockSqliteFile } from '../src/store/sqlite-lock';
import { Simulator, type SimulatorOptions, type SimulatorSummary } from '../simulator/simulator';

/*
 * `npm run demo`: the gateway on the embedded default (a SQLite file recreated on every start, seeded with the
 * demo company and the live demo's extras) with the telephony simulator driving calls through it in the same
 * process until Ctrl-C, so a dashboard has something to show within seconds: agents busy, the sales line
 * overflowing to the AI virtual agent (which hands a quarter of its callers back to a person), out-of-hours calls
 * going to the 24/7 partner, the partner backing off when it answers busy, Support's overflow shared 70/30 by two
 * partner centres, and the smaller one going down now and then, suspended, and resumed by its health probe.
 */

export interface DemoOptions {
  /** HTTP port (0: any free one). Default 4000. */
  port?: number;
  /** Where HTTP listens. Default 127.0.0.1. */
  host?: string;
  /** The demo's own SQLite file, deleted and seeded afresh on every start. Default ./data/demo.sqlite. */
  dbPath?: string;
  /** Real time per simulated time: 0.1 makes a 60 s conversation last 6 s. Default 0.1. */
  timeScale?: number;
  /** Calls arriving per real second (all lines together). Default 2. */
  callsPerSecond?: number;
  /** Seed of the simulator's decisions (a run with the same seed decides the same way). Default: random. */
  seed?: number;
  /** Log level of the gateway and the simulator (JSON lines on stdout). Default warn. */
  logLevel?: string;
  /** Secret that signs user tokens; default: one generated once beside the demo database. */
  jwtSecret?: string;
}

export interface RunningDemo {
  /** The GraphQL endpoint. */
  url: string;
  /** Where the supervisor dashboard is served. */
  dashboardUrl: string;
  /** The demo logins (always valid: the database is new) and the connector key the simulator uses. */
  credentials: DemoCredentials & { connectorApiKey: string };
  /** The live demo's flow numbers and destination ids. */
  setup: LiveDemoSetup;
  /** The SQLite file of this run. */
  dbPath: string;
  gateway: Gateway;
  simulator: Simulator;
  /** Which of the main and night lines is closed (so sends its calls to the 24/7 partner) at `at`. */
  closedLine(at?: number): 'main' | 'night';
  /** The banner: URLs, logins and what the traffic does. */
  banner(): string;
  /** One line: what happened so far. */
  progressLine(): string;
  /** Stops the simulator, then the gateway; the simulator's summary. Idempotent. */
  stop(): Promise<SimulatorSummary>;
}

export const DEMO_DEFAULTS = {
  port: 4000,
  host: '127.0.0.1',
  dbPath: 'data/demo.sqlite',
  timeScale: 0.1,
  callsPerSecond: 2,
  logLevel: 'warn',
} as const;

/** The simulated platform of the demo; times are simulated seconds (see DemoOptions.timeScale). */
const TRAFFIC = {
  /** Mean ring time before an agent or destination picks up. */
  ringTimeSec: 5,
  /** Mean conversation: 60 s, 6 s of real time at the default scale. */
  talkTimeSec: 60,
  /** Callers not yet answered hang up after about 5 minutes (30 s real): queues grow, then level off. */
  patienceSec: 300,
  agent: { answer: 0.9, busy: 0.05, reject: 0 },
  destination: { answer: 0.85, busy: 0.05, fail: 0.05 },
  /** The partner answers busy one call in ten, and backs off each time. */
  partner: { answer: 0.85, busy: 0.1, fail: 0 },
  /**
   * The AI virtual agent always answers (it is software), so it is never backed off or suspended; it hands a
   * quarter of the callers it answers back to a person, after a conversation of about `aiTalksSec`.
   */
  ai: { answer: 1, busy: 0, fail: 0, handBack: 0.25 },
  /** Mean conversation of the AI virtual agent with a caller it hands back: 30 s, 3 s of real time at the default scale. */
  aiTalksSec: 30,
  /**
   * The two partner centres sharing Support's overflow answer almost always and are never busy (a busy answer's
   * minute of back-off would bend the 70/30 split for long); the rest rings out.
   */
  partnerCentre: { answer: 0.95, busy: 0, fail: 0 },
  /**
   * Partner Centre South is down now and then (every dial and every probe fails), in real seconds from the start:
   * first after 10 s, for 25 s, every 2 minutes.
   */
  southOutage: { firstAfterSec: 10, forSec: 25, everySec: 120 },
} as const;

/**
 * Starts the live demo: recreates and seeds its database, starts the gateway on it and the simulator against it.
 * Throws when another process uses the demo database.
 */
export async function startDemo(options: DemoOptions = {}): Promise<RunningDemo> {
  const port = options.port ?? DEMO_DEFAULTS.port;
  const timeScale = options.timeScale ?? DEMO_DEFAULTS.timeScale;
  const callsPerSecond = options.callsPerSecond ?? DEMO_DEFAULTS.callsPerSecond;
  const logLevel = options.logLevel ?? DEMO_DEFAULTS.logLevel;
  const dbPath = resolve(options.dbPath ?? DEMO_DEFAULTS.dbPath);
  if (!(timeScale > 0 && timeScale <= 1)) throw new Error(`timeScale must be above 0 and at most 1 (got ${timeScale})`);
  if (!(callsPerSecond > 0 && callsPerSecond <= 20)) throw new Error(`callsPerSecond must be above 0 and at most 20 (got ${callsPerSecond})`);

  recreateDatabase(dbPath);
  const config = loadConfig({
    NODE_ENV: 'development', PORT: String(port), HOST: options.host ?? DEMO_DEFAULTS.host, DATABASE_URL: `sqlite:${dbPath}`,
    SEED_DEMO: 'true', LOG_LEVEL: logLevel, JWT_SECRET: options.jwtSecret,
  });
  const logger: Logger = createLogger(logLevel);
  const gateway = await createGateway(config, { logger });
  let simulator: Simulator | null = null;
  try {
    const demo = gateway.demo;
    if (!demo?.connectorApiKey) throw new Error('the demo database was not seeded afresh');
    const credentials = { ...demo, connectorApiKey: demo.connectorApiKey };
    const setup = await seedLiveDemoExtras(gateway.dataSource, gateway.services);
    const { mainLine, salesLine, nightLine } = setup.flowNumbers;
    const admin = credentials.users.find((u) => u.username === 'admin')!;
    const simulatorOptions: SimulatorOptions = {
      url: gateway.url, company: credentials.companySlug, username: admin.username, password: admin.password,
      connectorKey: credentials.connectorApiKey, useFlows: true, setAgentsAvailable: true,
      // Half the calls to the sales line, a quarter to each of the main and night lines.
      flowNumbers: [mainLine, nightLine, salesLine, salesLine],
      rate: callsPerSecond * timeScale, arrival: 'poisson', seed: options.seed, timeScale,
      ringTimeSec: TRAFFIC.ringTimeSec, talkTimeSec: TRAFFIC.talkTimeSec, patienceSec: TRAFFIC.patienceSec,
      agent: TRAFFIC.agent, destination: TRAFFIC.destination, handBackAfterSec: TRAFFIC.aiTalksSec,
      perDestination: {
        [setup.destinations.partner]: TRAFFIC.partner,
        [setup.destinations.ai]: TRAFFIC.ai,
        [setup.destinations.partnerNorth]: TRAFFIC.partnerCentre,
        // The simulator's outages run on simulated time: real seconds / time scale.
        [setup.destinations.partnerSouth]: {
          ...TRAFFIC.partnerCentre,
          outage: {
            firstAfterSec: TRAFFIC.southOutage.firstAfterSec / timeScale, forSec: TRAFFIC.southOutage.forSec / timeScale,
            everySec: TRAFFIC.southOutage.everySec / timeScale,
          },
        },
      },
    };
    const closedLine = (at = Date.now()): 'main' | 'night' => (evaluateTimeRange(LIVE_DEMO_NIGHT_HOURS, at).match ? 'main' : 'night');
    const sim = new Simulator(simulatorOptions, { logger });
    simulator = sim;
    const traffic = trafficCounters(sim, setup, closedLine);
    await sim.start();

    const startedAt = Date.now();
    let stopping: Promise<SimulatorSummary> | null = null;
    const running: RunningDemo = {
      url: gateway.url,
      dashboardUrl: gateway.dashboardUrl,
      credentials,
      setup,
      dbPath,
      gateway,
      simulator: sim,
      closedLine,
      banner: () => {
        const closed = closedLine() === 'main' ? `main line ${mainLine}` : `night line ${nightLine}`;
        const open = closedLine() === 'main' ? `night line ${nightLine}` : `main line ${mainLine}`;
        return [
          '',
          'Routing gateway live demo',
          `  Dashboard  ${running.dashboardUrl}`,
          `  GraphQL    ${gateway.url}`,
          `  Database   ${relative(process.cwd(), dbPath) || dbPath} (embedded SQLite, recreated on every start)`,
          '',
          `Demo company "${credentials.companySlug}":`,
          ...credentials.users.map((u) => `  ${u.kind.padEnd(13)} ${u.username} / ${u.password}  (${u.note})`),
          `  connector API key (used by the simulator): ${credentials.connectorApiKey}`,
          `Sign in: mutation { login(companySlug: "${credentials.companySlug}", username: "supervisor", password: "...") { token } }`,
          '',
          `Simulated telephony (seed ${sim.config.seed}; time scale ${timeScale}: a 60 s conversation lasts ${Number((60 * timeScale).toFixed(1))} s):`,
          `  about ${callsPerSecond} calls a second: half to the sales line ${salesLine}, a quarter each to the main line ${mainLine} and the night line ${nightLine}`,
          '  3 agents cannot take them all: Sales overflows to the AI virtual agent once more than 5 calls wait',
          `  out of hours now: the ${closed} sends its calls to the 24/7 partner (the ${open} queues them for Support)`,
          `  the 24/7 partner answers busy ${Math.round(TRAFFIC.partner.busy * 100)}% of the time and then backs off for ${LIVE_DEMO_PARTNER_BUSY_BACKOFF_SEC} s`,
          `  the AI virtual agent hands ${Math.round(TRAFFIC.ai.handBack * 100)}% of the callers it answers back to a person after about ${Number((TRAFFIC.aiTalksSec * timeScale).toFixed(1))} s:`,
          '    they wait again in their place in Sales, for the agents only, who are handed the bot\'s summary',
          `  Support's overflow (more than 3 waiting, or one for ${LIVE_DEMO_SUPPORT_OVERFLOW_WAIT_SEC} s) is shared ${DEMO_SHARED_OVERFLOW.north.percent}/${DEMO_SHARED_OVERFLOW.south.percent} by ${DEMO_SHARED_OVERFLOW.north.name} and ${DEMO_SHARED_OVERFLOW.south.name} (group "${DEMO_SHARED_OVERFLOW.group}")`,
          `  ${DEMO_SHARED_OVERFLOW.south.name} goes down for ${TRAFFIC.southOutage.forSec} s every ${TRAFFIC.southOutage.everySec / 60} minutes (the first time ${TRAFFIC.southOutage.firstAfterSec} s in):`,
          `    backed off, then suspended; its health probe (every ${DEMO_SOUTH_PROBE.intervalSec} s) resumes it after ${DEMO_SOUTH_PROBE.successesToResume} good probes once it is back`,
          'Ctrl-C stops the simulator and the gateway.',
          '',
        ].join('\n');
      },
      progressLine: () => {
        const s = sim.summary();
        const elapsed = Math.round((Date.now() - startedAt) / 1000);
        const clock = `${Math.floor(elapsed / 60)}:${String(elapsed % 60).padStart(2, '0')}`;
        return [
          `[demo ${clock}] calls ${s.callsEnqueued} (${s.activeCalls} active)`,
          `answered: agents ${s.answeredByAgents}, AI agent ${traffic.answered.ai}, partner ${traffic.answered.partner}`,
          `handed back by the AI agent ${s.handedBack}`,
          `out of hours ${traffic.outOfHours}`,
          `partner busy ${traffic.partnerBusy}`,
          `Support overflow: North ${traffic.offers.north}, South ${traffic.offers.south}`,
          `South probes: ok ${traffic.southProbes.succeeded}, failed ${traffic.southProbes.failed}`,
          `ended: completed ${s.completed}, caller hung up ${s.abandoned}, by the gateway ${s.disconnected}`,
          `errors ${s.errors}`,
        ].join(' | ');
      },
      stop: () =>
        (stopping ??= (async () => {
          try {
            return await sim.stop();
          } finally {
            await gateway.close();
          }
        })()),
    };
    return running;
  } catch (error) {
    await simulator?.stop();
    await gateway.close();
    throw error;
  }
}

/** Deletes the demo database (and its journal files) unless a running process holds it. */
function recreateDatabase(dbPath: string): void {
  const release = lockSqliteFile(dbPath);
  try {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${dbPath}${suffix}`, { force: true });
  } finally {
    release();
  }
}

interface TrafficCounters {
  answered: { ai: number; partner: number };
  partnerBusy: number;
  /** Dials of the two partner centres sharing Support's overflow. */
  offers: { north: number; south: number };
  /** Health probes of Partner Centre South answered, by how. */
  southProbes: { succeeded: number; failed: number };
  /** Calls to the line that is closed now that were dialled to the partner. */
  outOfHours: number;
}

/**
 * Counts, from what the simulated platform sees, the answers of the 24/7 partner and the AI virtual agent, the
 * out-of-hours calls, the dials of the two partner centres and the probes of the southern one.
 */
function trafficCounters(simulator: Simulator, setup: LiveDemoSetup, closedLine: () => 'main' | 'night'): TrafficCounters {
  const counters: TrafficCounters = {
    answered: { ai: 0, partner: 0 }, partnerBusy: 0, offers: { north: 0, south: 0 }, southProbes: { succeeded: 0, failed: 0 }, outOfHours: 0,
  };
  const { partner, ai, partnerNorth, partnerSouth } = setup.destinations;
  simulator.on('probeReported', (probe, outcome) => {
    if (probe.destinationId !== partnerSouth) return;
    if (outcome === 'SUCCEEDED') counters.southProbes.succeeded++;
    else counters.southProbes.failed++;
  });
  const destinationOf = new Map<string, string>();
  const lineOf = new Map<string, string>();
  /** Calls dialled to the partner before the answer to their startCall arrived (their line not known yet). */
  const partnerFirst = new Set<string>();
  const closedNumber = (): string => (closedLine() === 'main' ? setup.flowNumbers.mainLine : setup.flowNumbers.nightLine);
  simulator.on('callEnqueued', (call, line) => {
    lineOf.set(call.id, line);
    if (partnerFirst.delete(call.id) && line === closedNumber()) counters.outOfHours++;
  });
  simulator.on('callEnded', (callId) => {
    lineOf.delete(callId);
    partnerFirst.delete(callId);
  });
  simulator.on('race', (operation, _code, id) => {
    if (operation === 'reportAttemptOutcome') destinationOf.delete(id);
  });
  simulator.on('instruction', (instruction) => {
    if (instruction.kind === 'CANCEL_ATTEMPT' && instruction.attemptId !== null) destinationOf.delete(instruction.attemptId);
    if (instruction.kind !== 'DIAL_EXTERNAL' || instruction.attemptId === null || instruction.destinationId === null) return;
    destinationOf.set(instruction.attemptId, instruction.destinationId);
    if (instruction.destinationId === partnerNorth) counters.offers.north++;
    if (instruction.destinationId === partnerSouth) counters.offers.south++;
    if (instruction.destinationId !== partner) return;
    const line = lineOf.get(instruction.callId);
    if (line === undefined) partnerFirst.add(instruction.callId);
    else if (line === closedNumber()) counters.outOfHours++;
  });
  simulator.on('outcomeReported', (attempt, _callId, outcome) => {
    const destination = destinationOf.get(attempt.id);
    destinationOf.delete(attempt.id);
    if (outcome === 'ANSWERED' && destination === ai) counters.answered.ai++;
    if (outcome === 'ANSWERED' && destination === partner) counters.answered.partner++;
    if (outcome === 'BUSY' && destination === partner) counters.partnerBusy++;
  });
  return counters;
}

const USAGE = `Usage: npm run demo [-- options]

Starts the gateway on its own SQLite database (recreated and seeded on every start) and the telephony simulator
against it, until Ctrl-C. Options:
  --port N          HTTP port (default: PORT or ${DEMO_DEFAULTS.port})
  --rate N          calls arriving per real second (default ${DEMO_DEFAULTS.callsPerSecond}, at most 20)
  --time-scale F    real time per simulated time (default ${DEMO_DEFAULTS.timeScale}: a 60 s call lasts 6 s)
  --seed N          seed of the simulator's decisions (default: random, printed)
  --db PATH         the demo database file (default ${DEMO_DEFAULTS.dbPath})
  --every S         seconds between progress lines (default 5; 0: none)
  -h, --help        this text
`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' }, rate: { type: 'string' }, 'time-scale': { type: 'string' }, seed: { type: 'string' }, db: { type: 'string' },
      every: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const number = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} must be a number (got '${text}')`);
    return n;
  };
  const env = process.env;
  const everySec = number('every', values.every) ?? 5;
  const demo = await startDemo({
    port: number('port', values.port) ?? number('PORT', env.PORT) ?? DEMO_DEFAULTS.port,
    host: env.HOST || undefined,
    callsPerSecond: number('rate', values.rate),
    timeScale: number('time-scale', values['time-scale']),
    seed: number('seed', values.seed),
    dbPath: values.db,
    logLevel: env.LOG_LEVEL || undefined,
    jwtSecret: env.JWT_SECRET || undefined,
  });
  process.stdout.write(demo.banner());
  const progress = everySec > 0 ? setInterval(() => process.stdout.write(`${demo.progressLine()}\n`), everySec * 1000) : null;

  await new Promise<void>((resolveStop) => {
    let interruptedAt: number | null = null;
    const onSignal = (): void => {
      // Ctrl-C reaches this process both from the terminal and forwarded by npm: a repeat within a second is the same one.
      if (interruptedAt !== null) {
        if (Date.now() - interruptedAt > 1000) process.exit(130);
        return;
      }
      interruptedAt = Date.now();
      process.stdout.write('\nStopping the simulator and the gateway (Ctrl-C again to quit at once)...\n');
      resolveStop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  if (progress) clearInterval(progress);
  const line = demo.progressLine();
  const summary = await demo.stop();
  process.stdout.write(`${line}\nStopped after ${(summary.elapsedMs / 1000).toFixed(0)} s (seed ${summary.seed}).\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const inUse = (error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE' ? ' (another port: npm run demo -- --port 4100)' : '';
      process.stderr.write(`The demo could not start: ${error instanceof Error ? error.message : String(error)}${inUse}\n`);
      process.exit(1);
    },
  );
}
