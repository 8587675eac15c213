import { routingModes } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';
import { ensureDashboardBuilt } from './harness';

describe('the gateway serving the dashboard', () => {
  let t: TestGateway;
  let base: string;
  beforeAll(async () => {
    await ensureDashboardBuilt();
    t = await routingModes()[0]!.start();
    base = t.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('redirects /dashboard to /dashboard/ and serves the page, its script and styles from the gateway alone', async () => {
    const redirect = await fetch(`${base}/dashboard`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/dashboard/');
    const page = await fetch(`${base}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<script defer src="main.js"></script>');
    // Nothing from elsewhere: no absolute URLs to other hosts, no fonts.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    for (const [file, type] of [['main.js', 'javascript'], ['styles.css', 'text/css']] as const) {
      const res = await fetch(`${base}/dashboard/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      const body = await res.text();
      expect(body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
      expect(body).not.toMatch(/@font-face|@import/);
    }
  });

  it('sends a same-origin Content-Security-Policy and revalidation headers', async () => {
    const res = await fetch(`${base}/dashboard/`);
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers an unknown file under /dashboard/ and other paths with the coded 404', async () => {
    for (const path of ['/dashboard/nope.js', '/elsewhere']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
    }
  });
});
