import { createLogger } from './logger';
import { GatewayError, messageOf } from './connector-client';
import { scaleSeconds } from './decisions';
import { formatSummary, parseSimulateArgs, UsageError } from './simulate-cli';
import { Simulator, type SimulatorSummary } from './simulator';

/*
 * `npm run simulate -- [options]`: the telephony platform against a running gateway (see --help). The first
 * Ctrl-C (or SIGTERM) stops the run and prints the summary; a second one exits at once.
 */

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseSimulateArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\nSee npm run simulate -- --help\n`);
    return 2;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(parsed.text);
    return 0;
  }
  const { options, cli } = parsed;
  const logger = createLogger(cli.logLevel);
  const simulator = new Simulator(options, { logger });
  const { config } = simulator;
  logger.info(
    { url: config.url, seed: config.seed, rate: config.rate, durationSec: config.durationSec, calls: config.calls, timeScale: config.timeScale },
    'simulating the telephony platform (repeat the decisions of this run with --seed)',
  );

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    logger.info({ signal }, 'stopping');
    void simulator.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const progress =
    cli.statsEverySec > 0
      ? setInterval(() => {
          const s = simulator.summary();
          logger.info(
            {
              offered: s.callsOffered, active: s.activeCalls, answeredByAgents: s.answeredByAgents, answeredByDestinations: s.answeredByDestinations,
              handedBack: s.handedBack, probes: s.instructions.PROBE_DESTINATION, completed: s.completed, abandoned: s.abandoned, disconnected: s.disconnected, outcomeRaces: s.outcomeRaces, errors: s.errors,
            },
            'progress',
          );
        }, cli.statsEverySec * 1000)
      : null;
  progress?.unref();

  let summary: SimulatorSummary | null = null;
  let failure: unknown = null;
  try {
    summary = await simulator.run(scaleSeconds(cli.drainSec, config.timeScale));
  } catch (error) {
    failure = error;
    await simulator.stop();
  } finally {
    if (progress) clearInterval(progress);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    logger.flush();
  }
  if (!summary) {
    const reason = failure instanceof GatewayError ? `${failure.code}: ${failure.message}` : messageOf(failure);
    process.stderr.write(`The simulator could not start (${reason}).\n`);
    return 1;
  }
  process.stdout.write(cli.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
