import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { PAGE_DEFAULT, PAGE_MAX } from '../../store/persistence';

@ObjectType({ simpleResolvers: true, description: 'Where a page ends and whether more follow.' })
export class PageInfo {
  @Field({ description: 'Whether another page follows this one.' })
  hasNextPage: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to read the next page; null on an empty page.' })
  endCursor: string | null;
}

@ArgsType()
export class PageArgsInput {
  @Field(() => Int, { nullable: true, description: `How many items (1-${PAGE_MAX}, default ${PAGE_DEFAULT}).` })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page.' })
  after?: string | null;
}

/** A cursor connection of `node` items: `nodes`, `pageInfo`, `totalCount` (API.md). */
export function Connection<T extends object>(node: ClassType<T>) {
  @ObjectType()
  abstract class ConnectionClass {
    @Field(() => [node], { description: 'The items of this page, in order.' })
    nodes: T[];

    @Field(() => PageInfo, { description: 'How to read the next page.' })
    pageInfo: PageInfo;

    @Field(() => Int, { description: 'How many items the whole list has (all pages, same filter).' })
    totalCount: number;
  }
  return ConnectionClass;
}
