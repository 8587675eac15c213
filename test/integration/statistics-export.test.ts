import { randomUUID } from 'node:crypto';
import { createUser } from '../support/fixtures';
import { routingModes, useRoutingWorld, type RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

/*
 * Decision 027: the statistics CSV as a download that streams, with the principals, privileges, visibility,
 * columns and escaping of `statisticsCsv`, and no row bound.
 */
describe.each(routingModes().map((m) => [m.name, m] as const))('the statistics export over HTTP (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  });

  const hour = () => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() });
  const exportUrl = (params: Record<string, string>) => `${t.url.replace(/\/graphql$/, '')}/exports/statistics.csv?${new URLSearchParams(params)}`;
  const download = (params: Record<string, string>, token?: string) => fetch(exportUrl(params), { headers: token ? { authorization: `Bearer ${token}` } : {} });

  /** One destination that answered a call, one that was busy, so the figures are not all zero. */
  async function traffic() {
    const one = await w.destination({ maxSimultaneousCalls: 5, busyBackoffSec: 0 });
    const queue = await w.queue([{ groupId: await w.group([], [one]) }]);
    const calls = [await w.connector.enqueueOk(queue), await w.connector.enqueueOk(queue)];
    const dials = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL', 2);
    await w.connector.outcome(dials[0]!.attemptId!, 'ANSWERED');
    await w.connector.endCall(dials[0]!.callId, 'COMPLETED');
    await w.connector.endCall(calls.find((c) => c.id !== dials[0]!.callId)!.id, 'CALLER_HUNG_UP');
    return { one, queue };
  }

  it('streams exactly the CSV that statisticsCsv answers, for every kind, in totals and per interval', async () => {
    await traffic();
    // Ended: both answers are read with the same `to` (a range running into the future ends at each answer's now).
    const range = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() };
    for (const kind of ['DESTINATIONS', 'AGENTS', 'QUEUES'] as const) {
      for (const perInterval of [false, true]) {
        const api: string = (await t.ok(`query($from: DateTime!, $to: DateTime!, $p: Boolean!) { statisticsCsv(kind: ${kind}, from: $from, to: $to, perInterval: $p) }`, { ...range, p: perInterval }, w.admin)).statisticsCsv;
        const res = await download({ kind, ...range, perInterval: String(perInterval) }, w.admin);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
        expect(res.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="statistics-${kind.toLowerCase()}-\\d{4}-\\d{2}-\\d{2}-\\d{4}-\\d{2}-\\d{2}${perInterval ? '-intervals' : ''}\\.csv"$`));
        expect(await res.text()).toBe(api);
      }
    }
  });

  it('writes a per-interval export of more than a week, read a week at a time, exactly as statisticsCsv answers it', async () => {
    await traffic();
    // Nine days that start and end inside a quarter hour: the week's boundary falls in between.
    const now = Date.now();
    const range = { from: new Date(now - 9 * 86_400_000 - 7 * 60_000).toISOString(), to: new Date(now).toISOString() };
    for (const kind of ['DESTINATIONS', 'AGENTS', 'QUEUES'] as const) {
      const api: string = (await t.ok(`query($from: DateTime!, $to: DateTime!) { statisticsCsv(kind: ${kind}, from: $from, to: $to, perInterval: true) }`, range, w.admin)).statisticsCsv;
      const res = await download({ kind, ...range, perInterval: 'true' }, w.admin);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(api);
    }
  });

  it('streams a per-interval export past the row bound that statisticsCsv refuses', async () => {
    // 93 days of 15-minute intervals of 7 destinations: 62 496 rows, over the default bound of 50 000.
    for (let i = 0; i < 7; i += 1) await w.destination();
    const to = Math.floor(Date.now() / 900_000) * 900_000;
    const range = { from: new Date(to - 93 * 86_400_000).toISOString(), to: new Date(to).toISOString() };
    const refused = await t.gql('query($from: DateTime!, $to: DateTime!) { statisticsCsv(kind: DESTINATIONS, from: $from, to: $to, perInterval: true) }', range, w.admin);
    expect(refused.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const res = await download({ kind: 'DESTINATIONS', ...range, perInterval: 'true' }, w.admin);
    expect(res.status).toBe(200);
    const lines = (await res.text()).split('\r\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1 + 7 * 93 * 96);
  });

  it('shows a SELECTED supervisor only the destinations of its profile', async () => {
    const { one } = await traffic();
    const hidden = await w.destination();
    const sup = await createUser(t, w.company, {
      username: `sup-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { externalDestinations: 'VIEW', statistics: 'VIEW' }, profile: { scope: 'SELECTED', destinationIds: [one] },
    });
    const res = await download({ kind: 'DESTINATIONS', ...hour() }, sup.token);
    const ids = (await res.text()).trim().split('\r\n').slice(1).map((l) => l.split(',')[0]);
    expect(ids).toEqual([one]);
    expect(ids).not.toContain(hidden);
  });

  it('refuses with the coded errors of the API: no credential, no privilege, bad arguments and a range over 93 days', async () => {
    const range = hour();
    const codeOf = async (res: Response) => ((await res.json()) as any).errors[0].extensions;
    const anonymous = await download({ kind: 'QUEUES', ...range });
    expect(anonymous.status).toBe(401);
    expect(await codeOf(anonymous)).toMatchObject({ code: 'UNAUTHENTICATED' });
    const noStats = await createUser(t, w.company, { username: `nostats-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { queues: 'VIEW' }, profile: { scope: 'ALL' } });
    const forbidden = await download({ kind: 'QUEUES', ...range }, noStats.token);
    expect(forbidden.status).toBe(403);
    expect(await codeOf(forbidden)).toMatchObject({ code: 'FORBIDDEN' });
    const badKind = await download({ kind: 'CALLS', ...range }, w.admin);
    expect(badKind.status).toBe(400);
    expect(await codeOf(badKind)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'kind' });
    const badLevel = await download({ kind: 'QUEUES', ...range, serviceLevelSec: '3601' }, w.admin);
    expect(await codeOf(badLevel)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'serviceLevelSec' });
    const badDate = await download({ kind: 'QUEUES', from: 'yesterday', to: range.to }, w.admin);
    expect(await codeOf(badDate)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
    const tooLong = await download({ kind: 'QUEUES', from: new Date(Date.now() - 94 * 86_400_000).toISOString(), to: new Date().toISOString() }, w.admin);
    expect(tooLong.status).toBe(400);
    expect(await codeOf(tooLong)).toMatchObject({ code: 'BAD_USER_INPUT' });
    for (const res of [anonymous, forbidden, badKind, tooLong]) expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('refuses an export beyond the ones streaming at once with TOO_MANY_REQUESTS, and takes one again when they end', async () => {
    const range = t.gateway.services.statistics.range(new Date(Date.now() - 3_600_000), new Date());
    const user = { kind: 'user' as const, companyId: w.company.id } as never;
    const exports = t.gateway.services.statisticsExport;
    const streaming = [(await exports.prepare(user, 'QUEUES', range, false, 20)).pieces(), (await exports.prepare(user, 'QUEUES', range, false, 20)).pieces()];
    // Two export streams started (the first piece asked for each): a third is refused before its first byte.
    for (const s of streaming) await s.next();
    await expect(exports.prepare(user, 'QUEUES', range, false, 20)).rejects.toMatchObject({ kind: 'TOO_MANY_REQUESTS' });
    for await (const _piece of streaming[0]!) { /* read to the end */ }
    const again = (await exports.prepare(user, 'QUEUES', range, false, 20)).pieces();
    expect((await again.next()).done).toBe(false);
    await again.return(undefined);
    await streaming[1]!.return(undefined);
  });
});
