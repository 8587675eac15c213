import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, Unique } from 'typeorm';
import type { FlowNodeType } from '../routing/call-flow';
import { CompanyOwned, CompanyScoped } from './base';

/** One node of a flow as stored (the shape of CallFlowNodeInput). */
export interface StoredFlowNode {
  id: string;
  type: FlowNodeType;
  queueId: string | null;
  externalDestinationId: string | null;
  holidayListId: string | null;
  timeRangeIds: string[] | null;
  message: string | null;
  /** WAIT: seconds to pause (absent in nodes stored before WAIT existed). */
  waitSec?: number | null;
  /** SET_CONTEXT: the entries it adds to the call's context (absent in nodes stored before it existed). */
  context?: Array<{ key: string; value: string }> | null;
  branches: Array<{ name: string; to: string }>;
}

/**
 * A call flow: a draft edited freely (`version` counts edits) and, once published, immutable published
 * versions; calls keep the version they started on.
 */
@ObjectType({ simpleResolvers: true, description: 'A graph of nodes entered by the service numbers callers dial. Edits change the draft; publishCallFlow validates it and makes it the version new calls run.' })
@Entity('call_flow')
@Unique('uq_call_flow_company_name', ['companyId', 'name'])
export class CallFlow extends CompanyOwned {
  @Field({ description: 'Unique within the company ignoring letter case and Unicode variants, 1-100 readable characters.' })
  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** The draft's nodes (GraphQL: `nodes`). */
  @Column({ type: 'simple-json' })
  draftNodes: StoredFlowNode[];

  @Field(() => Int, { nullable: true, description: 'The published version new calls run (1, 2, ...); null until first published.' })
  @Column({ type: 'integer', nullable: true })
  publishedVersion: number | null;
}

/** A service number of a flow: unique per company, so a dialled number names one flow. */
@Entity('call_flow_number')
@Unique('uq_call_flow_number_company_number', ['companyId', 'number'])
export class CallFlowNumber extends CompanyScoped {
  @Index()
  @Column({ type: 'uuid' })
  callFlowId: string;

  @ManyToOne(() => CallFlow, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'callFlowId' })
  callFlow?: CallFlow;

  /** E.164. */
  @Column({ type: 'varchar', length: 16 })
  number: string;
}

/** A published version of a flow, never changed again. */
@Entity('call_flow_version')
@Unique('uq_call_flow_version', ['callFlowId', 'version'])
export class CallFlowVersion extends CompanyScoped {
  @Column({ type: 'uuid' })
  callFlowId: string;

  @ManyToOne(() => CallFlow, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'callFlowId' })
  callFlow?: CallFlow;

  @Column({ type: 'integer' })
  version: number;

  @Column({ type: 'simple-json' })
  nodes: StoredFlowNode[];

  @Column({ type: Date })
  publishedAt: Date;
}
