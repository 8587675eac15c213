import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = join(__dirname, '..', '..', 'src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1]!);
}

describe('the layout of src/', () => {
  it('keeps the routing core pure: no project imports from outside it, no GraphQL, database, Redis or sockets, no clock', () => {
    const offences: string[] = [];
    for (const file of filesUnder(join(SRC, 'routing'))) {
      for (const spec of importsOf(file)) {
        if (spec.startsWith('.') && !spec.startsWith('./')) offences.push(`${relative(SRC, file)} imports ${spec}`);
        if (/^(graphql|type-graphql|typeorm|ioredis|ws|graphql-ws|pg|better-sqlite3|express|@apollo\/)/.test(spec)) {
          offences.push(`${relative(SRC, file)} imports ${spec}`);
        }
      }
      if (/Date\.now\(\)|new Date\(\)/.test(readFileSync(file, 'utf8'))) offences.push(`${relative(SRC, file)} reads the clock`);
    }
    expect(offences).toEqual([]);
  });

  it('points imports one way: services, auth, store and entities never import resolvers', () => {
    const offences = ['services', 'auth', 'store', 'entities', 'routing']
      .flatMap((dir) => filesUnder(join(SRC, dir)))
      .flatMap((file) => importsOf(file).filter((spec) => spec.includes('/resolvers')).map((spec) => `${relative(SRC, file)} imports ${spec}`));
    expect(offences).toEqual([]);
  });
});
