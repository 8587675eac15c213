import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The build script is plain JavaScript (it runs before anything is compiled).
const { compileNeeded } = require('../../scripts/build.cjs') as { compileNeeded(root: string): boolean };

describe('when the build compiles (scripts/build.cjs)', () => {
  let root: string;
  const at = (path: string, seconds: number) => utimesSync(join(root, path), seconds, seconds);
  const file = (path: string, seconds: number) => {
    writeFileSync(join(root, path), '');
    at(path, seconds);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'build-freshness-'));
    for (const dir of ['src', 'src/store', 'dist', 'web']) mkdirSync(join(root, dir));
    file('src/a.ts', 1_000);
    file('src/store/b.ts', 1_000);
    file('tsconfig.json', 1_000);
    file('package-lock.json', 1_000);
    for (const dir of ['src/store', 'src', 'web']) at(dir, 1_000);
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('compiles when it never compiled here', () => {
    expect(compileNeeded(root)).toBe(true);
  });

  it('compiles when only a type check ran here (its build info is no compiled output)', () => {
    file('dist/.tsbuildinfo', 2_000);
    file('dist/.typecheck.tsbuildinfo', 2_000);
    expect(compileNeeded(root)).toBe(true);
  });

  it('compiles nothing when no input changed since its last compile', () => {
    file('dist/.build-stamp', 2_000);
    expect(compileNeeded(root)).toBe(false);
  });

  it('compiles when a source, the tsconfig or the lockfile changed since', () => {
    file('dist/.build-stamp', 2_000);
    for (const input of ['src/store/b.ts', 'tsconfig.json', 'package-lock.json']) {
      at(input, 3_000);
      expect(compileNeeded(root)).toBe(true);
      at(input, 1_000);
      expect(compileNeeded(root)).toBe(false);
    }
  });

  it('compiles when a source was added or deleted (its directory changed)', () => {
    file('dist/.build-stamp', 2_000);
    rmSync(join(root, 'src/store/b.ts'));
    at('src/store', 3_000);
    expect(compileNeeded(root)).toBe(true);
  });

  it('does not compile for a change outside what tsc reads (the dashboard is bundled on every build)', () => {
    file('dist/.build-stamp', 2_000);
    file('web/app.ts', 3_000);
    at('web', 3_000);
    expect(compileNeeded(root)).toBe(false);
  });
});
