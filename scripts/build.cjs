'use strict';
/*
 * `npm run build`: compiles the TypeScript (tsc, incremental: dist/.tsbuildinfo) only when a source, the
 * tsconfig or the lockfile changed since the last compile, then copies the Lua scripts beside the compiled
 * store and bundles the dashboard (both take a fraction of a second). Plain JavaScript: it runs before
 * anything is compiled.
 */
const { cpSync, existsSync, readdirSync, statSync, utimesSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..');
const buildInfo = join(root, 'dist', '.tsbuildinfo');

/** The latest change under `path`: files and directories (a deleted file changes its directory). */
function latestChange(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, latestChange(join(path, entry)));
  return latest;
}

const inputs = ['src', 'simulator', 'scripts', 'test', 'bench', 'faults', 'tsconfig.json', 'package.json', 'package-lock.json']
  .map((p) => join(root, p))
  .filter((p) => existsSync(p));
const changed = Math.max(...inputs.map(latestChange));
if (!existsSync(buildInfo) || statSync(buildInfo).mtimeMs < changed) {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  // tsc leaves its build info alone when nothing it emits changed: marked as current now.
  const now = new Date();
  utimesSync(buildInfo, now, now);
}
cpSync(join(root, 'src', 'store', 'lua'), join(root, 'dist', 'src', 'store', 'lua'), { recursive: true });
execFileSync(process.execPath, [join(root, 'dist', 'scripts', 'build-dashboard.js')], { cwd: root, stdio: 'inherit' });
