import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import { Company } from './company.entity';

/** Columns every row of a company has: its id and the owning company. */
@ObjectType()
export abstract class CompanyScoped {
  @Field(() => ID, { description: 'Opaque identifier.' })
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ type: 'uuid' })
  companyId: string;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'companyId' })
  company?: Company;
}

/** A company's configuration object: scoped, with a version for optimistic concurrency and timestamps. */
@ObjectType()
export abstract class CompanyOwned extends CompanyScoped {
  @Field(() => Int, {
    description: 'Increases by one on every change; pass it back as `expectedVersion` to refuse a stale update.',
  })
  @VersionColumn()
  version: number;

  @Field({ description: 'When the object was created (UTC).' })
  @CreateDateColumn()
  createdAt: Date;

  @Field({ description: 'When the object was last changed (UTC).' })
  @UpdateDateColumn()
  updatedAt: Date;
}
