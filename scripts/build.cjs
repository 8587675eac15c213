'use strict';
/*
 * `npm run build`: compiles the TypeScript (tsc, incremental: dist/.tsbuildinfo) only when a source, the
 * tsconfig or the lockfile changed since the last compile (dist/.build-stamp), then copies the Lua scripts beside the compiled
 * store and bundles the dashboard (both take a fraction of a second). Builds started at once (test workers
 * that need the compiled gateway) take turns. Plain JavaScript: it runs before anything is compiled.
 * The tests build through here too (test/support/processes.ts), so there is one notion of "current".
 */
const { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

/** What tsc compiles from (tsconfig.json's include) and what changes its output. */
const INPUTS = ['codegen.ts', 'src', 'simulator', 'scripts', 'test', 'bench', 'faults', 'tsconfig.json', 'package.json', 'package-lock.json'];

/** A lock older than this was left by a build that died: it is taken over. */
const STALE_LOCK_MS = 10 * 60_000;

/** The latest change under `path`: files and directories (a deleted file changes its directory). */
function latestChange(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, latestChange(join(path, entry)));
  return latest;
}

/**
 * The mark of the last compile that emitted, dated as of its start. Not tsc's build info: a type check
 * (`tsc --noEmit`, incremental) writes build info too, without emitting anything.
 */
const STAMP = join('dist', '.build-stamp');

/** Whether tsc must run in `root`: it never compiled there, or an input changed since it last did. */
function compileNeeded(root) {
  const stamp = join(root, STAMP);
  if (!existsSync(stamp)) return true;
  const inputs = INPUTS.map((p) => join(root, p)).filter((p) => existsSync(p));
  return inputs.length > 0 && statSync(stamp).mtimeMs < Math.max(...inputs.map(latestChange));
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `work` holding dist/.build-lock (a directory: made atomically), waiting while another build holds it. */
function withLock(root, work) {
  const lock = join(root, 'dist', '.build-lock');
  mkdirSync(join(root, 'dist'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // Released meanwhile: try again.
      }
      sleep(100);
    }
  }
  try {
    return work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Builds `root`; says in one line whether tsc ran. Returns { compiled }. */
function build(root) {
  return withLock(root, () => {
    const compiled = compileNeeded(root);
    if (compiled) {
      const started = Date.now();
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
      // Current as of the compile's start (not its end): a source saved while tsc ran is newer and compiles
      // at the next build.
      const asOf = new Date(started - 1000);
      writeFileSync(join(root, STAMP), '');
      utimesSync(join(root, STAMP), asOf, asOf);
      process.stdout.write(`build: compiled in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    } else {
      process.stdout.write('build: compiled output is current\n');
    }
    cpSync(join(root, 'src', 'store', 'lua'), join(root, 'dist', 'src', 'store', 'lua'), { recursive: true });
    execFileSync(process.execPath, [join(root, 'dist', 'scripts', 'build-dashboard.js')], { cwd: root, stdio: 'inherit' });
    return { compiled };
  });
}

module.exports = { INPUTS, compileNeeded, build };

if (require.main === module) build(join(__dirname, '..'));
