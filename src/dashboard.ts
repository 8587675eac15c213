import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { Router } from 'express';

/** Where `npm run build` puts the dashboard, seen from src/ (ts-node, tests) or dist/src/ (the built gateway). */
function builtDashboardDir(): string | null {
  const candidates = [resolve(__dirname, '..', 'dashboard'), resolve(__dirname, '..', 'dist', 'dashboard')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

/** The dashboard's address on a gateway whose GraphQL endpoint is `graphqlUrl` (with the slash its relative links need). */
export function dashboardUrlOf(graphqlUrl: string): string {
  return graphqlUrl.replace(/\/graphql$/, '/dashboard/');
}

/**
 * Security headers of the dashboard's files: scripts, styles and connections to this origin only (the
 * page talks to /graphql over HTTP and WebSocket), nothing framed, no referrer.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The supervisor dashboard, static files under /dashboard/ (built by `npm run build` from web/dashboard).
 * It uses only the public GraphQL API with the signed-in user's token; nothing here reads data.
 */
export function dashboardRouter(dir: string | null = builtDashboardDir()): Router {
  const router = Router();
  router.use('/dashboard', (req, res, next) => {
    // Relative links in the page need the trailing slash.
    if (req.originalUrl === '/dashboard' || req.originalUrl.startsWith('/dashboard?')) {
      res.redirect(301, `/dashboard/${req.originalUrl.slice('/dashboard'.length)}`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    if (dir === null) {
      res.status(503).type('text/plain').send('The dashboard is not built: run `npm run build` (npm start does).\n');
      return;
    }
    next();
  });
  if (dir !== null) {
    router.use(
      '/dashboard',
      express.static(dir, {
        index: 'index.html',
        redirect: false,
        fallthrough: true,
        // Revalidate every time (ETag): a rebuilt dashboard is picked up at once, unchanged files cost a 304.
        setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
      }),
    );
  }
  return router;
}
