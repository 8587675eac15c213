import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ConnectorPrincipal, UserPrincipal } from '../auth/principal';
import { mintConnectorKey } from '../auth/secrets';
import { Company } from '../entities/company.entity';
import { ConnectorApiKey } from '../entities/connector-api-key.entity';
import type { ModelChanges } from '../live/model-changes';
import type { AuditTrail } from './audit-trail';
import { findOwned, inTransaction, listOwned, type Page, type PageArgs } from '../store/persistence';
import { InputChecker } from '../input-checker';
import { systemScheduler } from '../platform/scheduler';

export class ConnectorApiKeyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ModelChanges,
    private readonly audit: AuditTrail,
    private readonly now: () => number = systemScheduler.now,
  ) {}

  list(actor: UserPrincipal, page: PageArgs): Promise<Page<ConnectorApiKey>> {
    return listOwned(this.dataSource, ConnectorApiKey, actor.companyId, 'name', page);
  }

  /** Creates a key; the returned `apiKey` is the only time the secret is ever shown. */
  async create(actor: UserPrincipal, name: string): Promise<{ apiKey: string; key: ConnectorApiKey }> {
    const c = new InputChecker('');
    const checked = c.name('name', name);
    c.done();
    const id = randomUUID();
    const { apiKey, secretHash } = mintConnectorKey(id);
    const key = await inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const repo = m.getRepository(ConnectorApiKey);
      const saved = await repo.save(repo.create({ id, companyId: actor.companyId, name: checked, secretHash, revokedAt: null }));
      changed.add('connectorKey', saved.id);
      this.audit.record(m, actor, { kind: 'CONNECTOR_API_KEY', id: saved.id, action: 'CREATED', after: saved });
      return saved;
    });
    return { apiKey, key };
  }

  /**
   * Revokes a key at once: once this answers, no request with it is accepted, and every instance closes its
   * sockets within the authority bound (docs/decisions/011). Revoking twice changes nothing.
   */
  /** The key a connector authenticated with, and its company (a key revoked meanwhile authenticates nothing, so it is found). */
  async self(principal: ConnectorPrincipal): Promise<{ key: ConnectorApiKey; company: Company }> {
    const [key, company] = await Promise.all([
      this.dataSource.getRepository(ConnectorApiKey).findOneByOrFail({ id: principal.keyId, companyId: principal.companyId }),
      this.dataSource.getRepository(Company).findOneByOrFail({ id: principal.companyId }),
    ]);
    return { key, company };
  }

  async revoke(actor: UserPrincipal, id: string): Promise<ConnectorApiKey> {
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const key = await findOwned(m, ConnectorApiKey, actor.companyId, id, { what: 'Connector API key', lock: 'write' });
      changed.add('connectorKey', key.id);
      if (key.revokedAt === null) {
        const before = { ...key };
        key.revokedAt = new Date(this.now());
        await m.getRepository(ConnectorApiKey).save(key);
        this.audit.record(m, actor, { kind: 'CONNECTOR_API_KEY', id: key.id, action: 'REVOKED', before, after: key });
      }
      return key;
    });
  }
}
