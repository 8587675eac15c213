import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { Company } from '../src/entities/company.entity';
import { StatisticsService, type StatisticsKind } from '../src/services/statistics.service';
import { openDataSource } from '../src/store/data-source';

const USAGE = `Recomputes statistics from the call, attempt and capacity refusal records and prints them as CSV.

usage: npm run stats:rebuild -- --from <ISO date-time> --to <ISO date-time> [--company <slug>] [--kind DESTINATIONS|AGENTS|QUEUES] [--per-interval]

Reads DATABASE_URL like the gateway. Every figure the API gives is derived from the same records by the
same code, so this prints the numbers dashboards and statisticsCsv show for the same range.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' }, to: { type: 'string' }, company: { type: 'string' }, kind: { type: 'string' },
      'per-interval': { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
    },
  });
  if (values.help || values.from === undefined || values.to === undefined) {
    process.stdout.write(`${USAGE}\n`);
    if (!values.help) process.exitCode = 2;
    return;
  }
  const kinds: StatisticsKind[] = values.kind === undefined ? ['DESTINATIONS', 'AGENTS', 'QUEUES'] : [values.kind as StatisticsKind];
  if (!kinds.every((k) => ['DESTINATIONS', 'AGENTS', 'QUEUES'].includes(k))) throw new Error(`--kind must be DESTINATIONS, AGENTS or QUEUES (got ${values.kind})`);
  const config = loadConfig(process.env);
  const dataSource = await openDataSource(config.database);
  try {
    const statistics = new StatisticsService(dataSource);
    const range = statistics.range(new Date(values.from), new Date(values.to));
    const companies = await dataSource.getRepository(Company).find({ where: values.company === undefined ? {} : { slug: values.company }, order: { slug: 'ASC' } });
    if (values.company !== undefined && companies.length === 0) throw new Error(`no company with slug ${values.company}`);
    for (const company of companies) {
      for (const kind of kinds) {
        process.stdout.write(`# ${company.slug} ${kind}\n`);
        process.stdout.write(await statistics.companyCsv(company.id, kind, range, values['per-interval']));
      }
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  const problems = (error as { extensions?: { problems?: Array<{ field: string; message: string }> } }).extensions?.problems;
  process.stderr.write(`${problems ? problems.map((p) => `--${p.field} ${p.message}`).join('\n') : error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
