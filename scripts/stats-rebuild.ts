import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { Company } from '../src/entities/company.entity';
import { StatisticsService, type StatisticsKind } from '../src/services/statistics.service';
import { openDataSource } from '../src/store/data-source';
import { checkBuckets, recordSpan } from '../src/store/stat-rebuild';
import { SEAL_GRACE_MS } from '../src/store/stat-seal';

const USAGE = `Works the statistics buckets out again from the call, attempt and capacity refusal records and reports
every difference with the stored buckets (0 expected; exit code 1 otherwise).

usage: npm run stats:rebuild -- [--company <slug>] [--from <ISO date-time> --to <ISO date-time>] [--write]
       npm run stats:rebuild -- --csv --from <ISO date-time> --to <ISO date-time> [--company <slug>] [--kind DESTINATIONS|AGENTS|QUEUES] [--per-interval]

Without --from/--to, the whole span of each company's records up to the quarter hours that may be sealed
now. Only sealed quarter hours are compared (the others are read from the records). --write first seals every
quarter hour of the span again from the records (also the ones never sealed), then checks them. --csv prints
the figures the API gives for a range as statisticsCsv does. Reads
DATABASE_URL like the gateway.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' }, to: { type: 'string' }, company: { type: 'string' }, kind: { type: 'string' },
      'per-interval': { type: 'boolean', default: false }, csv: { type: 'boolean', default: false }, write: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || (values.csv && (values.from === undefined || values.to === undefined)) || (values.from === undefined) !== (values.to === undefined)) {
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
    const range = values.from === undefined ? null : statistics.range(new Date(values.from), new Date(values.to!));
    const companies = await dataSource.getRepository(Company).find({ where: values.company === undefined ? {} : { slug: values.company }, order: { slug: 'ASC' } });
    if (values.company !== undefined && companies.length === 0) throw new Error(`no company with slug ${values.company}`);
    let differences = 0;
    for (const company of companies) {
      if (values.csv) {
        for (const kind of kinds) {
          process.stdout.write(`# ${company.slug} ${kind}\n`);
          process.stdout.write(await statistics.companyCsv(company.id, kind, range!, values['per-interval']));
        }
        continue;
      }
      const span = range ?? (await recordSpan(dataSource, company.id, Date.now() - SEAL_GRACE_MS));
      if (span === null) {
        process.stdout.write(`${company.slug}: no records\n`);
        continue;
      }
      const started = Date.now();
      const result = await checkBuckets(dataSource, company.id, span.from, span.to, values.write);
      for (const d of result.differences) process.stdout.write(`${company.slug} ${d.kind} ${d.id} ${new Date(d.bucket * 900_000).toISOString()} ${d.column}: stored ${JSON.stringify(d.stored)}, records ${JSON.stringify(d.records)}\n`);
      process.stdout.write(`${company.slug}: ${result.buckets} buckets ${values.write ? 'written and ' : ''}checked from ${new Date(span.from).toISOString()} to ${new Date(span.to).toISOString()} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${result.differences.length} differences\n`);
      differences += result.differences.length;
    }
    if (differences > 0) process.exitCode = 1;
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  const problems = (error as { extensions?: { problems?: Array<{ field: string; message: string }> } }).extensions?.problems;
  process.stderr.write(`${problems ? problems.map((p) => `--${p.field} ${p.message}`).join('\n') : error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
