import { dialects, type Dialect } from '../support/dialects';
import { codeOf, createDestination, createUser, provisionCompany, type Company, type Kind, type Level } from '../support/fixtures';
import { seededRandom } from '../support/random';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../support/test-gateway';

/**
 * Reads of destinations, groups, queues and agents are served from the company held in memory. This suite
 * builds a random (seeded) company through the public API and proves that every such read answers exactly
 * what the database answers: the reference is worked out here with SQL over the gateway's own data source,
 * the way the reads were served before (visibility per DOMAIN.md §1, `LOWER(name) LIKE` filters, pages by
 * name then id), and compared page by page, lookup by lookup, member list by member list; then again after
 * changes made through the API. MODEL_READS_SEED=<n> replays another world.
 */
const SEED = Number(process.env.MODEL_READS_SEED ?? 20261202);
const PAGE_SIZES = [1, 7, 50, 500];

const VIEW_REST = { agentGroups: 'VIEW', queues: 'VIEW', agents: 'VIEW' } as const;

const DESTINATIONS = `query($first: Int, $after: String, $filter: ExternalDestinationFilter) {
  externalDestinations(first: $first, after: $after, filter: $filter) { totalCount nodes { id name enabled maxSimultaneousCalls } pageInfo { hasNextPage endCursor } } }`;
const AGENT_GROUPS = `query($first: Int, $after: String) { agentGroups(first: $first, after: $after) { totalCount nodes { id name } pageInfo { hasNextPage endCursor } } }`;
const QUEUES = `query($first: Int, $after: String) { queues(first: $first, after: $after) { totalCount nodes { id name } pageInfo { hasNextPage endCursor } } }`;
const AGENTS = `query($first: Int, $after: String) { agents(first: $first, after: $after) { totalCount nodes { id name } pageInfo { hasNextPage endCursor } } }`;
/** Up to ten destinations by id in one request, as aliases d0..d9 (each answers or fails on its own). */
const destinationsById = (count: number) => `query(${Array.from({ length: count }, (_, i) => `$i${i}: ID!`).join(', ')}) { ${
  Array.from({ length: count }, (_, i) => `d${i}: externalDestination(id: $i${i}) { id name enabled maxSimultaneousCalls groups { id name } }`).join(' ')} }`;
const GROUP = `query($id: ID!) { agentGroup(id: $id) { id name agents { id name } externalDestinations { hidden destination { id name } } } }`;
const QUEUE = `query($id: ID!) { queue(id: $id) { id name groups { priority group { id name externalDestinations { hidden destination { id } } } } } }`;
const PROFILE = `query($id: ID!) { externalDestinationsProfile(id: $id) { id scope destinations { hidden destination { id name } } } }`;
const USER_ROLES = `query($id: ID!) { userLogin(id: $id) { id roles { id name } } }`;
const UPDATE_DESTINATION = `mutation($id: ID!, $i: ExternalDestinationInput!) { updateExternalDestination(id: $id, input: $i) { id } }`;

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
/** A random subset of about `n` items (in random order). */
function sample<T>(rng: Rng, items: readonly T[], n: number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rng() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, Math.max(0, Math.min(n, copy.length)));
}

// Names: ASCII letters of both cases, digits and spaces; stems shared by many names (so filters and pages
// cut through runs of similar names); a few non-ASCII letters, a CJK one, a full-width letter (sorts before
// supplementary code points by code point, after them by UTF-16 unit) and an emoji. No character whose
// lower case is ASCII (Kelvin sign, dotted capital I): with those, PostgreSQL's LOWER and an ASCII fold differ.
const STEMS = ['Partner', 'partner', 'PARTNER', 'AI agent', 'Overflow', 'overflow', 'Night', 'Alpha', 'alpha', 'Beta', '24x7', 'Caf\u00e9',
  'Stra\u00dfe', '\u6771\u4eac', '\u00c9lan', '\u00e9cole', '\uff3aulu', '\u{1F600} Happy', 'Zeta', 'z', 'A', '0', '9 lives'];
const ASCII = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789    ';
const RARE = ['\u00e9', '\u00df', '\u6771', '\u{1F600}', '\uff3a', '\u00c9'];

function randomText(rng: Rng, min: number, max: number): string {
  const length = min + Math.floor(rng() * (max - min + 1));
  let text = '';
  for (let i = 0; i < length; i += 1) text += rng() < 0.05 ? pick(rng, RARE) : pick(rng, [...ASCII]);
  return text;
}

/** A destination-like name (1-100 characters, as the API stores it: trimmed, NFC) not in `taken`; adds it. */
function uniqueName(rng: Rng, taken: Set<string>): string {
  for (;;) {
    const r = rng();
    const raw = r < 0.6 ? `${pick(rng, STEMS)}${rng() < 0.8 ? ' ' : ''}${randomText(rng, 0, 8)}` : r < 0.95 ? randomText(rng, 1, 20) : randomText(rng, 95, 110);
    const name = [...raw.normalize('NFC').trim()].slice(0, 100).join('').trim();
    if (name.length === 0 || taken.has(name)) continue;
    taken.add(name);
    return name;
  }
}

/** Runs `work` over `items`, `size` at a time. */
async function inBatches<T, R>(items: readonly T[], work: (item: T, index: number) => Promise<R>, size = 10): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map((item, j) => work(item, i + j)))));
  return out;
}

const byLocaleName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/**
 * Members are shown by `name.localeCompare` (as the SQL loaders sorted them); members of one name (agents may
 * share one) have no order between them, so runs of equal names are put in id order on both sides.
 */
function canonical<T extends { id: string; name: string }>(rows: readonly T[]): T[] {
  const out = [...rows];
  for (let i = 0; i < out.length;) {
    let j = i + 1;
    while (j < out.length && out[j]!.name.localeCompare(out[i]!.name) === 0) j += 1;
    out.splice(i, j - i, ...out.slice(i, j).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
    i = j;
  }
  return out;
}

interface DestinationRow {
  id: string;
  name: string;
  enabled: boolean;
  maxSimultaneousCalls: number | null;
}
interface Named {
  id: string;
  name: string;
}
interface Filter {
  nameContains?: string;
  enabled?: boolean;
}
type Scope = { kind: 'forbidden' } | { kind: 'none' } | { kind: 'all' } | { kind: 'selected'; profileId: string };

interface PageView<N> {
  nodes: N[];
  totalCount: number;
  hasNextPage: boolean;
  /** Whether the page carries a cursor (every page with nodes; an empty one has none). */
  endCursor: boolean;
}

/** What the pages of a list of `rows` are, `first` at a time, walking each page's endCursor. */
function expectedPages<N>(rows: readonly N[], first: number): Array<PageView<N>> {
  if (rows.length === 0) return [{ nodes: [], totalCount: 0, hasNextPage: false, endCursor: false }];
  const pages: Array<PageView<N>> = [];
  for (let i = 0; i < rows.length; i += first) {
    pages.push({ nodes: rows.slice(i, i + first), totalCount: rows.length, hasNextPage: i + first < rows.length, endCursor: true });
  }
  return pages;
}

/**
 * The database path, worked out by this test with SQL: visibility from the user's roles and profile,
 * filters as `LOWER(name) LIKE`, order by name then id, and members from the join tables.
 */
class Reference {
  /** ORDER BY / comparison expression of names in code-point order. */
  private name = 'd.name';

  constructor(private readonly t: TestGateway, private readonly dialect: Dialect) {}

  /** Raw SQL with `?` placeholders, written as each dialect wants them. */
  sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
    let n = 0;
    const query = this.dialect === 'postgres' ? text.replace(/\?/g, () => `$${(n += 1)}`) : text;
    const values = params.map((p) => (typeof p === 'boolean' && this.dialect === 'sqlite' ? Number(p) : p));
    return this.t.gateway.dataSource.query(query, values);
  }

  /**
   * SQLite compares names with BINARY (UTF-8 bytes: code-point order). PostgreSQL compares them with the
   * database's collation (`datcollate`, what `SHOW lc_collate` answered up to PostgreSQL 15): the test
   * server's is C.UTF-8, code-point order too, so the reference orders by the plain column as the SQL path
   * did. On a server with another collation the reference orders and compares with COLLATE "C" (code-point
   * order, the order the lists promise) instead.
   */
  async init(): Promise<void> {
    if (this.dialect !== 'postgres') return;
    const [db] = await this.sql<{ datcollate: string; datlocprovider?: string }>('SELECT * FROM pg_database WHERE datname = current_database()');
    const codePoint = ['C', 'POSIX', 'C.UTF-8', 'C.utf8'].includes(db!.datcollate) && (db!.datlocprovider ?? 'c') === 'c';
    if (!codePoint) this.name = 'd.name COLLATE "C"';
  }

  /** What a user may see, from its roles (highest level) and its profile. */
  async scopeOf(userId: string): Promise<Scope> {
    const levels = await this.sql<{ level: Level }>(
      'SELECT r."privExternaldestinations" AS "level" FROM user_login_role ur JOIN role r ON r.id = ur."roleId" WHERE ur."userLoginId" = ?', [userId],
    );
    if (!levels.some((l) => l.level === 'VIEW' || l.level === 'MODIFY')) return { kind: 'forbidden' };
    const [user] = await this.sql<{ profileId: string | null; scope: string | null }>(
      'SELECT u."externalDestinationsProfileId" AS "profileId", p.scope AS "scope" FROM user_login u LEFT JOIN external_destinations_profile p ON p.id = u."externalDestinationsProfileId" WHERE u.id = ?',
      [userId],
    );
    if (!user || user.profileId === null) return { kind: 'none' };
    return user.scope === 'ALL' ? { kind: 'all' } : { kind: 'selected', profileId: user.profileId };
  }

  /** The destinations a scope sees, filtered, in list order; `after` continues from a row (name, id) as a cursor does. */
  async destinations(companyId: string, scope: Scope, filter: Filter, after?: Named): Promise<DestinationRow[]> {
    if (scope.kind === 'forbidden' || scope.kind === 'none') return [];
    const params: unknown[] = [];
    let text = 'SELECT d.id AS "id", d.name AS "name", d.enabled AS "enabled", d."maxSimultaneousCalls" AS "max" FROM external_destination d';
    if (scope.kind === 'selected') {
      text += ' JOIN profile_destination pd ON pd."destinationId" = d.id AND pd."profileId" = ?';
      params.push(scope.profileId);
    }
    text += ' WHERE d."companyId" = ?';
    params.push(companyId);
    if (filter.nameContains) {
      text += ' AND LOWER(d.name) LIKE ?';
      params.push(`%${filter.nameContains.toLowerCase()}%`);
    }
    if (filter.enabled !== undefined) {
      text += ' AND d.enabled = ?';
      params.push(filter.enabled);
    }
    if (after !== undefined) {
      text += ` AND (${this.name} > ? OR (d.name = ? AND d.id > ?))`;
      params.push(after.name, after.name, after.id);
    }
    text += ` ORDER BY ${this.name}, d.id`;
    const rows = await this.sql<{ id: string; name: string; enabled: unknown; max: number | null }>(text, params);
    return rows.map((r) => ({ id: r.id, name: r.name, enabled: r.enabled === true || r.enabled === 1, maxSimultaneousCalls: r.max }));
  }

  /** Every row of a company's table, in list order (name, then id). */
  async named(table: 'agent_group' | 'queue' | 'agent', companyId: string): Promise<Named[]> {
    return this.sql<Named>(`SELECT d.id AS "id", d.name AS "name" FROM ${table} d WHERE d."companyId" = ? ORDER BY ${this.name}, d.id`, [companyId]);
  }

  /** The (owner, target) pairs of a join table for one company's owners, grouped by owner. */
  private async links(text: string, companyId: string): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const { owner, target } of await this.sql<{ owner: string; target: string }>(text, [companyId])) {
      out.set(owner, [...(out.get(owner) ?? []), target]);
    }
    return out;
  }

  /** Everything the member lists are made of. */
  async snapshot(companyId: string) {
    const destinations = await this.destinations(companyId, { kind: 'all' }, {});
    const [agents, groups, queues] = await Promise.all([this.named('agent', companyId), this.named('agent_group', companyId), this.named('queue', companyId)]);
    const groupAgents = await this.links('SELECT l."groupId" AS "owner", l."agentId" AS "target" FROM agent_group_agent l JOIN agent_group g ON g.id = l."groupId" WHERE g."companyId" = ?', companyId);
    const groupDestinations = await this.links('SELECT l."groupId" AS "owner", l."destinationId" AS "target" FROM agent_group_destination l JOIN agent_group g ON g.id = l."groupId" WHERE g."companyId" = ?', companyId);
    const destinationGroups = await this.links('SELECT l."destinationId" AS "owner", l."groupId" AS "target" FROM agent_group_destination l JOIN agent_group g ON g.id = l."groupId" WHERE g."companyId" = ?', companyId);
    const profileDestinations = await this.links('SELECT l."profileId" AS "owner", l."destinationId" AS "target" FROM profile_destination l JOIN external_destinations_profile p ON p.id = l."profileId" WHERE p."companyId" = ?', companyId);
    const userRoles = await this.links('SELECT l."userLoginId" AS "owner", l."roleId" AS "target" FROM user_login_role l JOIN user_login u ON u.id = l."userLoginId" WHERE u."companyId" = ?', companyId);
    const profiles = await this.sql<{ id: string; scope: string }>('SELECT p.id AS "id", p.scope AS "scope" FROM external_destinations_profile p WHERE p."companyId" = ?', [companyId]);
    const roles = await this.sql<Named>('SELECT r.id AS "id", r.name AS "name" FROM role r WHERE r."companyId" = ?', [companyId]);
    const users = await this.sql<{ id: string }>('SELECT u.id AS "id" FROM user_login u WHERE u."companyId" = ?', [companyId]);
    const queueGroups = new Map<string, Array<{ priority: number; groupId: string }>>();
    for (const row of await this.sql<{ queueId: string; groupId: string; priority: number }>(
      'SELECT qg."queueId" AS "queueId", qg."groupId" AS "groupId", qg.priority AS "priority" FROM queue_group qg JOIN queue q ON q.id = qg."queueId" WHERE q."companyId" = ? ORDER BY qg."queueId", qg.priority',
      [companyId],
    )) {
      queueGroups.set(row.queueId, [...(queueGroups.get(row.queueId) ?? []), { priority: Number(row.priority), groupId: row.groupId }]);
    }
    const index = <T extends { id: string }>(rows: T[]) => new Map(rows.map((r) => [r.id, r]));
    return {
      destinations: index(destinations), agents: index(agents), groups: index(groups), queues, roles: index(roles), profiles, users,
      groupAgents, groupDestinations, destinationGroups, profileDestinations, userRoles, queueGroups,
    };
  }
}

type Snapshot = Awaited<ReturnType<Reference['snapshot']>>;

/** Destination references as a caller sees them: visible ones by name, then one hidden marker per hidden one. */
function refsOf(ids: readonly string[], snapshot: Snapshot, visible: ReadonlySet<string>) {
  const rows = ids.map((id) => snapshot.destinations.get(id)!).sort(byLocaleName);
  return [
    ...rows.filter((d) => visible.has(d.id)).map((d) => ({ hidden: false, destination: { id: d.id, name: d.name } })),
    ...rows.filter((d) => !visible.has(d.id)).map(() => ({ hidden: true, destination: null })),
  ];
}

interface User {
  username: string;
  id: string;
  token: string;
}

interface World {
  t: TestGateway;
  ref: Reference;
  a: Company;
  b: Company;
  users: User[];
  /** The profile two users share (SELECTED), and a second SELECTED profile. */
  selectedProfileId: string;
  mixedProfileId: string;
  /** Filters used on every list (ASCII letters and digits only). */
  filters: Filter[];
  foreign: { destinations: string[]; groups: string[]; queues: string[] };
  rng: Rng;
  names: Set<string>;
}

const NOT_AN_ID = ['not-an-id', '12345', '00000000-0000-0000-0000-00000000000g', "' OR 1=1 --"];
const MISSING_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

async function walk<N>(t: TestGateway, query: string, field: string, token: string, first: number, variables: Record<string, unknown> = {}, maxPages = 1000): Promise<Array<PageView<N>> | string> {
  const pages: Array<PageView<N>> = [];
  let after: string | null = null;
  for (;;) {
    const res: GraphQLResponse = await t.gql(query, { ...variables, first, after }, token);
    if (res.errors) return codeOf(res) ?? JSON.stringify(res.errors);
    const page = res.data[field];
    pages.push({ nodes: page.nodes, totalCount: page.totalCount, hasNextPage: page.pageInfo.hasNextPage, endCursor: page.pageInfo.endCursor !== null });
    if (!page.pageInfo.hasNextPage || pages.length >= maxPages) return pages;
    after = page.pageInfo.endCursor;
  }
}

async function buildWorld(dialect: Dialect): Promise<World> {
  const rng = seededRandom(SEED);
  const t = await startTestGateway(dialect);
  const ref = new Reference(t, dialect);
  await ref.init();
  const [a, b] = await Promise.all([provisionCompany(t, 'model-reads'), provisionCompany(t, 'model-reads-other')]);
  const names = new Set<string>();

  const destinationIds = await inBatches(Array.from({ length: 120 }, () => uniqueName(rng, names)), async (name) => {
    const input = {
      name, numberMode: 'FULL_NUMBER', number: '+442079460958', enabled: rng() < 0.7,
      maxSimultaneousCalls: rng() < 0.2 ? null : 1 + Math.floor(rng() * 20),
    };
    const data = await t.ok(`mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }`, { i: input }, a.adminToken);
    return data.createExternalDestination.id as string;
  });

  // Agents: two share a name (lists order them by id then), some names differ only in case or accents.
  const agentNames = [...sample(rng, ['Ana', 'ana', 'Bo', 'Chlo\u00e9', 'Chloe', 'Dmitri', '\u00c5sa', 'Zo\u00eb', 'li', 'Omar', 'Yuki \u6771', 'zed'], 8), 'Sam Lee', 'Sam Lee'];
  const agentIds = await inBatches(agentNames, async (name) => (await t.ok(`mutation($n: String!) { createAgent(input: { name: $n }) { id } }`, { n: name }, a.adminToken)).createAgent.id as string);

  const groupNames = new Set<string>();
  const groupIds = await inBatches(Array.from({ length: 8 }, () => uniqueName(rng, groupNames)), async (name) => {
    const i = { name, agentIds: sample(rng, agentIds, Math.floor(rng() * 6)), externalDestinationIds: sample(rng, destinationIds, Math.floor(rng() * 11)) };
    return (await t.ok(`mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }`, { i }, a.adminToken)).createAgentGroup.id as string;
  });

  const queueNames = new Set<string>();
  await inBatches(Array.from({ length: 5 }, () => uniqueName(rng, queueNames)), async (name) => {
    const groups = sample(rng, groupIds, 1 + Math.floor(rng() * 3)).map((groupId, i) => (i === 0 ? { groupId } : { groupId, overflow: { queueLengthAbove: 1 + i } }));
    await t.ok(`mutation($i: QueueInput!) { createQueue(input: $i) { id } }`, { i: { name, groups } }, a.adminToken);
  });

  // Users: one per row of the visibility table that matters here, all with VIEW on groups, queues and agents.
  const spec = async (username: string, kind: Kind, level: Level, profile: Parameters<typeof createUser>[2]['profile']) => {
    const u = await createUser(t, a, { username, kind, privileges: { externalDestinations: level, ...VIEW_REST }, profile });
    return { user: { username, id: u.id, token: u.token }, profileId: u.profileId };
  };
  const selectedIds = sample(rng, destinationIds, 40);
  const mixedIds = sample(rng, destinationIds, 30);
  const [all, selected, selectedAdmin, noProfile, noPrivilege, mixed] = await Promise.all([
    spec('all-viewer', 'SUPERVISOR', 'VIEW', { scope: 'ALL' }),
    spec('selected-viewer', 'SUPERVISOR', 'VIEW', { scope: 'SELECTED', destinationIds: selectedIds }),
    // An administrator given the supervisor's SELECTED profile below: it may read profiles, and what it creates joins the profile.
    spec('selected-admin', 'COMPANY_ADMIN', 'MODIFY', null),
    spec('no-profile', 'SUPERVISOR', 'VIEW', null),
    spec('no-privilege', 'SUPERVISOR', 'NONE', { scope: 'ALL' }),
    // An agent login: MODIFY in its role, VIEW in effect.
    spec('mixed-agent', 'AGENT', 'MODIFY', { scope: 'SELECTED', destinationIds: mixedIds }),
  ]);
  await t.ok(`mutation($u: ID!, $p: ID) { assignExternalDestinationsProfile(userLoginId: $u, profileId: $p) { id } }`, { u: selectedAdmin.user.id, p: selected.profileId }, a.adminToken);
  const [adminUser] = await ref.sql<{ id: string }>(`SELECT id AS "id" FROM user_login WHERE "companyId" = ? AND username = 'admin'`, [a.id]);

  // The other company: a destination named like one of the first company's, a group and a queue.
  const foreignDestinations: string[] = [];
  for (const name of [[...names][0]!, 'Other company destination']) {
    foreignDestinations.push((await t.ok(`mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }`, { i: { name, numberMode: 'FULL_NUMBER', number: '+442079460958' } }, b.adminToken)).createExternalDestination.id);
  }
  const foreignGroup = (await t.ok(`mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }`, { i: { name: 'Other group', agentIds: [], externalDestinationIds: foreignDestinations } }, b.adminToken)).createAgentGroup.id;
  const foreignQueue = (await t.ok(`mutation($i: QueueInput!) { createQueue(input: $i) { id } }`, { i: { name: 'Other queue', groups: [{ groupId: foreignGroup }] } }, b.adminToken)).createQueue.id;

  // Filters: fixed ones, and fragments of the world's own names in another case.
  const fragments = sample(rng, [...names].map((n) => n.match(/[A-Za-z0-9]{2,3}/)?.[0]).filter((f): f is string => f !== undefined), 3)
    .map((f) => [...f].map((c) => (rng() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join(''));
  const filters: Filter[] = [
    {}, { enabled: true }, { enabled: false }, { nameContains: 'a' }, { nameContains: 'PART' }, { nameContains: '7', enabled: true },
    { nameContains: 'zq9zzq' }, { nameContains: '' }, { nameContains: fragments[0]! }, { nameContains: fragments[1]!, enabled: false }, { nameContains: fragments[2]! },
  ];

  return {
    t, ref, a, b,
    users: [{ username: 'admin', id: adminUser!.id, token: a.adminToken }, all.user, selected.user, selectedAdmin.user, noProfile.user, noPrivilege.user, mixed.user],
    selectedProfileId: selected.profileId!,
    mixedProfileId: mixed.profileId!,
    filters,
    foreign: { destinations: foreignDestinations, groups: [foreignGroup], queues: [foreignQueue] },
    rng,
    names,
  };
}

/**
 * Changes through the API: destinations renamed, disabled, deleted and created (some joining a SELECTED profile);
 * a profile, groups (one deleted), a queue, agents (one deleted) and a user's profile changed.
 */
async function change(w: World): Promise<void> {
  const { t, a, rng, ref } = w;
  const before = await ref.snapshot(a.id);
  const ids = [...before.destinations.keys()];
  const grouped = new Set([...before.destinationGroups.keys()]);
  const ungrouped = ids.filter((id) => !grouped.has(id));
  const doomed = sample(rng, ungrouped, 5);
  const kept = ids.filter((id) => !doomed.includes(id));

  // Destinations: renamed (to fresh names, some sharing stems), toggled, given other capacities; some deleted; some created.
  const patches = sample(rng, kept, 25).map((id) => {
    const current = before.destinations.get(id)!;
    const r = rng();
    return {
      id,
      i: {
        name: r < 0.6 ? uniqueName(rng, w.names) : current.name,
        numberMode: 'FULL_NUMBER',
        ...(r > 0.3 ? { enabled: !current.enabled } : {}),
        ...(rng() < 0.3 ? { maxSimultaneousCalls: rng() < 0.3 ? null : 1 + Math.floor(rng() * 20) } : {}),
      },
    };
  });
  const created = Array.from({ length: 4 }, () => uniqueName(rng, w.names));
  const createdIds: string[] = new Array(created.length);
  const selectedAdmin = w.users.find((u) => u.username === 'selected-admin')!;
  const joinedIds: string[] = new Array(2);
  await inBatches<(() => Promise<void>), void>([
    ...patches.map((p) => async () => void (await t.ok(UPDATE_DESTINATION, p, a.adminToken))),
    ...doomed.map((id) => async () => void (await t.ok(`mutation($id: ID!) { deleteExternalDestination(id: $id) }`, { id }, a.adminToken))),
    ...created.map((name, i) => async () => {
      const data = await t.ok(`mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }`, { i: { name, numberMode: 'FULL_NUMBER', number: '+442079460958', enabled: rng() < 0.5 } }, a.adminToken);
      createdIds[i] = data.createExternalDestination.id;
    }),
    // What the administrator limited to the shared SELECTED profile creates joins that profile.
    ...Array.from({ length: 2 }, () => uniqueName(rng, w.names)).map((name, i) => async () => {
      const data = await t.ok(`mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }`, { i: { name, numberMode: 'FULL_NUMBER', number: '+442079460958' } }, selectedAdmin.token);
      joinedIds[i] = data.createExternalDestination.id;
    }),
  ], (f) => f());

  // Membership: the shared SELECTED profile loses some destinations and gains others; groups, a queue and agents change.
  const live = [...kept, ...createdIds, ...joinedIds];
  const selectedNow = [...(before.profileDestinations.get(w.selectedProfileId) ?? []).filter((id) => !doomed.includes(id)), ...joinedIds];
  // The profile loses ten destinations (never the two that just joined it) and gains ten others.
  const selectedNext = [...joinedIds, ...sample(rng, selectedNow.filter((id) => !joinedIds.includes(id)), selectedNow.length - 12), ...sample(rng, live.filter((id) => !selectedNow.includes(id)), 10)];
  const agentIds = [...before.agents.keys()];
  // A group no queue uses is deleted; the others may change.
  const unused = [...before.groups.values()].filter((g) => ![...before.queueGroups.values()].some((entries) => entries.some((e) => e.groupId === g.id)));
  const doomedGroup = unused.length > 0 ? pick(rng, unused) : null;
  const groups = [...before.groups.values()].filter((g) => g !== doomedGroup);
  const leaving = pick(rng, agentIds.filter((id) => [...before.groupAgents.values()].some((members) => members.includes(id))).concat(agentIds.slice(0, 1)));
  const stayingAgents = agentIds.filter((id) => id !== leaving);
  const groupNames = new Set(groups.map((g) => g.name));
  const queue = pick(rng, [...before.queueGroups.keys()]);
  const noProfile = w.users.find((u) => u.username === 'no-profile')!;
  await inBatches<(() => Promise<unknown>), unknown>([
    () => t.ok(`mutation($id: ID!, $i: ExternalDestinationsProfileInput!) { updateExternalDestinationsProfile(id: $id, input: $i) { id } }`,
      { id: w.selectedProfileId, i: { name: 'selected-viewer profile', scope: 'SELECTED', destinationIds: selectedNext } }, a.adminToken),
    ...sample(rng, groups, 3).map((g, i) => () => t.ok(`mutation($id: ID!, $i: AgentGroupInput!) { updateAgentGroup(id: $id, input: $i) { id } }`, {
      id: g.id,
      i: { name: i === 0 ? uniqueName(rng, groupNames) : g.name, agentIds: sample(rng, stayingAgents, Math.floor(rng() * 6)), externalDestinationIds: sample(rng, live, Math.floor(rng() * 11)) },
    }, a.adminToken)),
    () => t.ok(`mutation($id: ID!, $i: QueueInput!) { updateQueue(id: $id, input: $i) { id } }`, {
      id: queue, i: { name: before.queues.find((q) => q.id === queue)!.name, groups: sample(rng, groups, 3).map((g, i) => (i === 0 ? { groupId: g.id } : { groupId: g.id, overflow: { oldestWaitAboveSec: 10 * i } })) },
    }, a.adminToken),
    ...sample(rng, stayingAgents, 2).map((id) => () => t.ok(`mutation($id: ID!, $n: String!) { updateAgent(id: $id, input: { name: $n }) { id } }`, { id, n: `Renamed ${pick(rng, ['Ana', 'ana', 'Sam Lee', '\u00c9mile'])}` }, a.adminToken)),
    () => t.ok(`mutation($id: ID!) { deleteAgent(id: $id) }`, { id: leaving }, a.adminToken),
    ...(doomedGroup === null ? [] : [() => t.ok(`mutation($id: ID!) { deleteAgentGroup(id: $id) }`, { id: doomedGroup.id }, a.adminToken)]),
    // The user that saw nothing (no profile) now has the second SELECTED profile.
    () => t.ok(`mutation($u: ID!, $p: ID) { assignExternalDestinationsProfile(userLoginId: $u, profileId: $p) { id } }`, { u: noProfile.id, p: w.mixedProfileId }, a.adminToken),
  ], (f) => f());
}

/** The comparisons, run on the world as built and again after changes. */
function compareEverything(world: () => World): void {
  it('pages every user\'s external destinations as SQL filters and orders them, for page sizes 1, 7, 50 and 500', async () => {
    const { t, ref, a, users, filters } = world();
    // Every user and filter 7 and 500 at a time; 50 at a time unfiltered and with two filters; one at a time (a
    // request per destination) the administrator's whole list and the SELECTED supervisor's with a filter.
    const sizesFor = (user: User, filter: Filter): number[] => PAGE_SIZES.filter((first) => first === 7 || first === 500
      || (first === 50 && [filters[0], filters[3], filters[8]].includes(filter))
      || (first === 1 && ((user.username === 'admin' && filter === filters[0]) || (user.username === 'selected-viewer' && filter === filters[3]))));
    const cases = users.flatMap((user) => filters.flatMap((filter) => sizesFor(user, filter).map((first) => ({ user, filter, first }))));
    const scopes = new Map(await Promise.all(users.map(async (u) => [u.id, await ref.scopeOf(u.id)] as const)));
    await inBatches(cases, async ({ user, filter, first }) => {
      const scope = scopes.get(user.id)!;
      const actual = await walk<DestinationRow>(t, DESTINATIONS, 'externalDestinations', user.token, first, { filter }, 200);
      const expected = scope.kind === 'forbidden' ? 'FORBIDDEN' : expectedPages(await ref.destinations(a.id, scope, filter), first);
      expect({ user: user.username, filter, first, pages: actual }).toEqual({ user: user.username, filter, first, pages: expected });
    });
    // The other company's administrator sees its own destinations only.
    const other = await walk<DestinationRow>(t, DESTINATIONS, 'externalDestinations', world().b.adminToken, 7);
    expect(other).toEqual(expectedPages(await ref.destinations(world().b.id, { kind: 'all' }, {}), 7));
  });

  it('pages agent groups, queues and agents as SQL orders them (name, then id)', async () => {
    const { t, ref, a, users } = world();
    const lists = [['agentGroups', AGENT_GROUPS, 'agent_group'], ['queues', QUEUES, 'queue'], ['agents', AGENTS, 'agent']] as const;
    const readers = [users[0]!, users.find((u) => u.username === 'mixed-agent')!];
    await inBatches(lists.flatMap(([field, query, table]) => readers.flatMap((user) => PAGE_SIZES.map((first) => ({ field, query, table, user, first })))), async ({ field, query, table, user, first }) => {
      const actual = await walk<Named>(t, query, field, user.token, first);
      expect({ field, user: user.username, first, pages: actual }).toEqual({ field, user: user.username, first, pages: expectedPages(await ref.named(table, a.id), first) });
    });
  });

  it('finds a destination by id exactly when the user may see it, and answers hidden, foreign and malformed ids alike', async () => {
    const { t, ref, a, users, foreign } = world();
    const snapshot = await ref.snapshot(a.id);
    const groupsOf = (id: string) => (snapshot.destinationGroups.get(id) ?? []).map((g) => snapshot.groups.get(g)!).sort(byLocaleName).map((g) => ({ id: g.id, name: g.name }));
    const ids = [...snapshot.destinations.keys(), ...foreign.destinations, MISSING_ID, ...NOT_AN_ID];
    for (const user of users) {
      const scope = await ref.scopeOf(user.id);
      const visible = new Set((await ref.destinations(a.id, scope, {})).map((d) => d.id));
      const chunks = Array.from({ length: Math.ceil(ids.length / 10) }, (_, i) => ids.slice(i * 10, i * 10 + 10));
      const answers = (await inBatches(chunks, async (chunk) => {
        const res = await t.gql(destinationsById(chunk.length), Object.fromEntries(chunk.map((id, i) => [`i${i}`, id])), user.token);
        return chunk.map((id, i) => {
          const error = res.errors?.find((e) => e.path?.[0] === `d${i}`);
          return { id, destination: res.data?.[`d${i}`] ?? null, error: error && { message: error.message, extensions: error.extensions } };
        });
      })).flat();
      const expected = ids.map((id) => {
        if (scope.kind === 'forbidden') return { id, code: 'FORBIDDEN' };
        if (!visible.has(id)) return { id, code: 'NOT_FOUND' };
        return { id, destination: { ...snapshot.destinations.get(id)!, groups: groupsOf(id) } };
      });
      const got = answers.map(({ id, destination, error }) => (error ? { id, code: error.extensions?.code, destination } : { id, destination }));
      expect({ user: user.username, answers: got }).toEqual({ user: user.username, answers: expected.map((e) => ('code' in e ? { ...e, destination: null } : e)) });
      // A refusal says the same for a hidden destination, another company's, a missing and a malformed id.
      const refusals = new Set(answers.filter((x) => x.error).map(({ error }) => JSON.stringify(error)));
      expect(refusals.size).toBeLessThanOrEqual(1);
    }
  });

  it('shows group and queue members, a destination\'s groups, profiles\' destinations and users\' roles as the database holds them', async () => {
    const { t, ref, a, users, foreign } = world();
    const snapshot = await ref.snapshot(a.id);
    const groupIds = [...snapshot.groups.keys()];
    const queueIds = snapshot.queues.map((q) => q.id);
    for (const user of users) {
      const scope = await ref.scopeOf(user.id);
      const visible = new Set((await ref.destinations(a.id, scope, {})).map((d) => d.id));
      const groups = await inBatches(groupIds, async (id) => {
        const data = await t.ok(GROUP, { id }, user.token);
        return { ...data.agentGroup, agents: canonical(data.agentGroup.agents) };
      });
      expect({ user: user.username, groups }).toEqual({
        user: user.username,
        groups: groupIds.map((id) => ({
          id,
          name: snapshot.groups.get(id)!.name,
          agents: canonical((snapshot.groupAgents.get(id) ?? []).map((x) => snapshot.agents.get(x)!).sort(byLocaleName)),
          externalDestinations: refsOf(snapshot.groupDestinations.get(id) ?? [], snapshot, visible),
        })),
      });
      const queues = await inBatches(queueIds, async (id) => (await t.ok(QUEUE, { id }, user.token)).queue);
      expect({ user: user.username, queues }).toEqual({
        user: user.username,
        queues: snapshot.queues.map((q) => ({
          id: q.id,
          name: q.name,
          groups: snapshot.queueGroups.get(q.id)!.map(({ priority, groupId }) => ({
            priority,
            group: {
              id: groupId,
              name: snapshot.groups.get(groupId)!.name,
              externalDestinations: refsOf(snapshot.groupDestinations.get(groupId) ?? [], snapshot, visible).map((r) => ({ hidden: r.hidden, destination: r.destination && { id: r.destination.id } })),
            },
          })),
        })),
      });
      // Another company's groups and queues, and ids that are no ids, are missing alike.
      for (const [query, id] of [[GROUP, foreign.groups[0]!], [GROUP, NOT_AN_ID[0]!], [GROUP, MISSING_ID], [QUEUE, foreign.queues[0]!], [QUEUE, NOT_AN_ID[1]!]] as const) {
        expect({ user: user.username, id, code: codeOf(await t.gql(query, { id }, user.token)) }).toEqual({ user: user.username, id, code: 'NOT_FOUND' });
      }
    }

    // Profiles (administrators only): as the company's administrator, and as the one limited to the shared SELECTED profile.
    for (const user of users.filter((u) => u.username === 'admin' || u.username === 'selected-admin')) {
      const visible = new Set((await ref.destinations(a.id, await ref.scopeOf(user.id), {})).map((d) => d.id));
      const profiles = await inBatches(snapshot.profiles, async (p) => (await t.ok(PROFILE, { id: p.id }, user.token)).externalDestinationsProfile);
      expect({ user: user.username, profiles }).toEqual({
        user: user.username,
        profiles: snapshot.profiles.map((p) => ({ id: p.id, scope: p.scope, destinations: refsOf(snapshot.profileDestinations.get(p.id) ?? [], snapshot, visible) })),
      });
    }
    const supervisor = users.find((u) => u.username === 'selected-viewer')!;
    expect(codeOf(await t.gql(PROFILE, { id: world().selectedProfileId }, supervisor.token))).toBe('FORBIDDEN');

    const roles = await inBatches(snapshot.users, async (u) => (await t.ok(USER_ROLES, { id: u.id }, a.adminToken)).userLogin);
    expect(roles).toEqual(snapshot.users.map((u) => ({ id: u.id, roles: (snapshot.userRoles.get(u.id) ?? []).map((r) => snapshot.roles.get(r)!).sort(byLocaleName) })));
  });
}

describe.each(dialects())(`reads served from memory on %s answer what the database holds (seed ${SEED})`, (dialect) => {
  let w: World;
  beforeAll(async () => {
    w = await buildWorld(dialect);
    // The seed made a world worth comparing: names of every kind, shared stems, both states, a real SELECTED subset.
    const all = await w.ref.destinations(w.a.id, { kind: 'all' }, {});
    expect(all).toHaveLength(120);
    expect(all.some((d) => /[^\u0000-\u007f]/.test(d.name))).toBe(true);
    expect(all.some((d) => d.enabled) && all.some((d) => !d.enabled)).toBe(true);
    expect((await w.ref.destinations(w.a.id, { kind: 'selected', profileId: w.selectedProfileId }, {})).length).toBe(40);
  }, 120_000);
  afterAll(() => w?.t.close());

  compareEverything(() => w);

  describe('after changes made through the API', () => {
    /** Cursors taken before the changes, with the row each stands after. */
    let cursors: Array<{ user: User; filter: Filter; cursor: string; after: Named }> = [];

    beforeAll(async () => {
      const readers = w.users.filter((u) => ['admin', 'selected-viewer'].includes(u.username));
      cursors = [];
      for (const user of readers) {
        for (const filter of [{}, { enabled: true }]) {
          let after: string | null = null;
          for (let pages = 0; pages === 0 || after !== null; pages += 1) {
            if (pages > 50) throw new Error(`${user.username}'s list of ${JSON.stringify(filter)} did not end after 50 pages`);
            const page: any = (await w.t.ok(DESTINATIONS, { first: 9, after, filter }, user.token)).externalDestinations;
            const last = page.nodes[page.nodes.length - 1];
            if (last) cursors.push({ user, filter, cursor: page.pageInfo.endCursor, after: { id: last.id, name: last.name } });
            after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
          }
        }
      }
      await change(w);
    }, 120_000);

    compareEverything(() => w);

    it('continues from a cursor taken before the changes exactly where SQL continues from its row', async () => {
      expect(cursors.length).toBeGreaterThan(10);
      await inBatches(cursors, async ({ user, filter, cursor, after }) => {
        const page = (await w.t.ok(DESTINATIONS, { first: 5, after: cursor, filter }, user.token)).externalDestinations;
        const scope = await w.ref.scopeOf(user.id);
        const rest = await w.ref.destinations(w.a.id, scope, filter, after);
        const total = (await w.ref.destinations(w.a.id, scope, filter)).length;
        expect({ user: user.username, filter, after, nodes: page.nodes, totalCount: page.totalCount, hasNextPage: page.pageInfo.hasNextPage })
          .toEqual({ user: user.username, filter, after, nodes: rest.slice(0, 5), totalCount: total, hasNextPage: rest.length > 5 });
      });
    });
  });
});

describe.each(dialects())('ids written in upper case on %s', (dialect) => {
  it('name the same object as in lower case, in reads from memory, in changes and in references', async () => {
    const t = await startTestGateway(dialect);
    try {
      const c = await provisionCompany(t, 'upper-case-ids');
      const d = await createDestination(t, c.adminToken);
      const upper = d.id.toUpperCase();
      expect((await t.ok('query($id: ID!) { externalDestination(id: $id) { id } }', { id: upper }, c.adminToken)).externalDestination.id).toBe(d.id);
      const updated = await t.ok('mutation($id: ID!, $i: ExternalDestinationInput!) { updateExternalDestination(id: $id, input: $i) { id name } }', {
        id: upper, i: { name: 'Renamed through upper case', numberMode: 'FULL_NUMBER' },
      }, c.adminToken);
      expect(updated.updateExternalDestination).toEqual({ id: d.id, name: 'Renamed through upper case' });
      const group = await t.ok('mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id externalDestinations { destination { id } } } }', {
        i: { name: 'Upper', agentIds: [], externalDestinationIds: [upper] },
      }, c.adminToken);
      expect(group.createAgentGroup.externalDestinations).toEqual([{ destination: { id: d.id } }]);
      expect((await t.ok('query($id: ID!) { agentGroup(id: $id) { id } }', { id: group.createAgentGroup.id.toUpperCase() }, c.adminToken)).agentGroup.id).toBe(group.createAgentGroup.id);
      // The same id twice, in two spellings, is one id listed twice.
      const twice = await t.gql('mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }', {
        i: { name: 'Twice', agentIds: [], externalDestinationIds: [d.id, upper] },
      }, c.adminToken);
      expect(twice.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    } finally {
      await t.close();
    }
  });
});
