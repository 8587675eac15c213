import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { UserPrincipal } from '../auth/principal';
import { mintConnectorKey } from '../auth/secrets';
import { ConnectorApiKey } from '../entities/connector-api-key.entity';
import { findOwned, inTransaction, listOwned, type Page, type PageArgs } from '../store/persistence';
import { InputChecker } from './input-checker';

export class ConnectorApiKeyService {
  constructor(private readonly dataSource: DataSource) {}

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
    const repo = this.dataSource.getRepository(ConnectorApiKey);
    const key = await repo.save(repo.create({ id, companyId: actor.companyId, name: checked, secretHash, revokedAt: null }));
    return { apiKey, key };
  }

  /** Revokes a key at once; revoking twice changes nothing. */
  async revoke(actor: UserPrincipal, id: string): Promise<ConnectorApiKey> {
    return inTransaction(this.dataSource, async (m) => {
      const key = await findOwned(m, ConnectorApiKey, actor.companyId, id, { what: 'Connector API key', lock: 'write' });
      if (key.revokedAt === null) {
        key.revokedAt = new Date();
        await m.getRepository(ConnectorApiKey).save(key);
      }
      return key;
    });
  }
}
