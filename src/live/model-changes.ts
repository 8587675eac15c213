import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { Company } from '../entities/company.entity';
import { loggableError } from '../errors';
import type { EventBus } from '../realtime/event-bus';
import type { AuthorityVersionStore } from '../store/authority-version-store';
import { inTransaction, type TransactionEffects } from '../store/persistence';
import type { Change, ChangeKind, ModelChangeEvent } from '../routing/vocabulary';
import { COPIES_WAIT_MS, within } from './live-models';

/** The changes one transaction makes to a company's authority or configuration. */
export interface ChangeList {
  add(kind: ChangeKind, ...ids: string[]): void;
}

/**
 * Records committed changes of authority and configuration: inside the transaction that makes them, it moves
 * the company's authority version (which also serialises such changes per company); once the transaction
 * commits, it raises the version's copy and publishes the change to every instance, this one included (the
 * instance that made the change holds it before the request that made it is answered).
 */
export class ModelChanges {
  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: Pick<EventBus, 'publishModelChange'>,
    private readonly versions: AuthorityVersionStore,
    private readonly logger: Logger,
  ) {}

  /**
   * Call first in a transaction that changes a company's authority or configuration: it locks the company
   * (so every such transaction takes its locks in the same order) and moves its version once, however many
   * times it is called in the transaction. The returned list names what changed.
   */
  async begin(m: EntityManager, tx: TransactionEffects, companyId: string): Promise<ChangeList> {
    const key = `model-change:${companyId}`;
    const known = tx.memo.get(key) as ChangeList | undefined;
    if (known !== undefined) return known;
    await m.createQueryBuilder().update(Company).set({ authorityVersion: () => '"authorityVersion" + 1' } as never).where('id = :id', { id: companyId }).execute();
    const row = await m.getRepository(Company).findOne({ where: { id: companyId }, select: { id: true, authorityVersion: true } });
    const changes: Change[] = [];
    const list: ChangeList = { add: (kind, ...ids) => void changes.push(...ids.map((id) => ({ kind, id }))) };
    tx.memo.set(key, list);
    if (row !== null) tx.afterCommit(() => this.publish({ companyId, version: row.authorityVersion, changes }));
    return list;
  }

  /** Records changes already committed by statements outside a transaction of this helper (routing's own writes). */
  async committed(companyId: string, kind: ChangeKind, ...ids: string[]): Promise<void> {
    await inTransaction(this.dataSource, async (m, tx) => (await this.begin(m, tx, companyId)).add(kind, ...ids));
  }

  private async publish(event: ModelChangeEvent): Promise<void> {
    const warn = (what: string) => (err: unknown) => this.logger.warn({ err: loggableError(err), companyId: event.companyId, version: event.version }, what);
    await Promise.all([
      // Redis away would hold the answer for its reconnection: the change is answered without waiting long.
      within(this.versions.raise(event.companyId, event.version), COPIES_WAIT_MS)
        .catch(warn('raising the copy of an authority version failed or was slow (instances notice within the record check)')),
      this.bus.publishModelChange(event).catch(warn('publishing a model change failed (instances notice within the version check)')),
    ]);
  }
}
