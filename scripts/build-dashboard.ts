import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

/** The repository root: the nearest folder above `from` with a package.json (works from scripts/ and dist/scripts/). */
export function repoRoot(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

/** Where the built dashboard goes (git-ignored with the rest of dist/); the gateway serves it at /dashboard. */
export function dashboardOutDir(root = repoRoot()): string {
  return join(root, 'dist', 'dashboard');
}

/**
 * Bundles the supervisor dashboard (web/dashboard) into static files: main.js (the TypeScript and the
 * graphql-ws client, minified), styles.css and index.html. No CDN and no external fonts: the page works
 * offline from the gateway alone.
 */
export async function buildDashboard(root = repoRoot(), outDir = dashboardOutDir(root)): Promise<Record<string, number>> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['web/dashboard/main.ts', 'web/dashboard/styles.css', 'web/dashboard/index.html'],
    entryNames: '[name]',
    outdir: outDir,
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'iife',
    target: ['chrome100', 'edge100', 'firefox100', 'safari15'],
    loader: { '.html': 'copy' },
    tsconfig: 'web/tsconfig.json',
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  const sizes: Record<string, number> = {};
  for (const file of Object.keys(result.metafile.outputs)) {
    if (!file.endsWith('.map')) sizes[relative(root, join(root, file))] = statSync(join(root, file)).size;
  }
  return sizes;
}

if (require.main === module) {
  buildDashboard().then(
    (sizes) => {
      const list = Object.entries(sizes).map(([file, bytes]) => `${file} ${(bytes / 1024).toFixed(1)} KB`).join(', ');
      process.stdout.write(`dashboard built: ${list}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`dashboard build failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
