import { Field, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity } from 'typeorm';
import { CompanyScoped } from './base';

@ObjectType({
  simpleResolvers: true,
  description:
    'A key a telephony connector of the company authenticates with. The secret is shown once, at creation, and stored only as a hash.',
})
@Entity('connector_api_key')
export class ConnectorApiKey extends CompanyScoped {
  @Field({ description: 'What the key is for, 1-100 characters.' })
  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** SHA-256 of the secret part (the secret has 256 random bits, so a fast hash is enough). */
  @Column({ type: 'varchar', length: 64 })
  secretHash: string;

  @Field({ description: 'When the key was created (UTC).' })
  @CreateDateColumn()
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked (UTC); a revoked key authenticates nothing.' })
  @Column({ type: Date, nullable: true })
  revokedAt: Date | null;
}
