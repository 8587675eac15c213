import { codeOf, ok, whenUnauthenticated } from './api';
import { Dashboard } from './app';
import { byId } from './dom';
import type { ConnectionStatus } from './live';
import { LOGIN, ME, type Me, type Session } from './queries';

/** The session lives in sessionStorage: gone when the tab closes, never shared with other tabs. */
const SESSION_KEY = 'routing-dashboard.session';
/** The company and user last signed in with (never the password), to fill the form next time. */
const LAST_KEY = 'routing-dashboard.last';

let dashboard: Dashboard | null = null;
let expiryTimer: ReturnType<typeof setTimeout> | undefined;

function readSession(): Session | null {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null') as Session | null;
    return session && typeof session.token === 'string' && Date.parse(session.expiresAt) > Date.now() ? session : null;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ announcements and the connection banner

const announcer = byId('announcer');
let lastAnnounced = 0;
let pendingAnnouncement: string[] = [];
let announceTimer: ReturnType<typeof setTimeout> | undefined;

/** Says something to screen-reader users through the polite live region, at most one message every 2 s. */
function announce(message: string): void {
  pendingAnnouncement.push(message);
  if (announceTimer !== undefined) return;
  const wait = Math.max(0, lastAnnounced + 2_000 - Date.now());
  announceTimer = setTimeout(() => {
    announceTimer = undefined;
    lastAnnounced = Date.now();
    const text = pendingAnnouncement.length > 3 ? `${pendingAnnouncement.length} changes: ${pendingAnnouncement.slice(-3).join(' ')}` : pendingAnnouncement.join(' ');
    pendingAnnouncement = [];
    announcer.textContent = text;
  }, wait);
}

const banner = byId('connection-banner');
const liveBadge = byId('live-status');
let shownStatus: ConnectionStatus | null = null;
/** What the socket last reported (the browser going offline is shown at once, whatever the socket says). */
let socketStatus: ConnectionStatus = 'connecting';

function show(status: ConnectionStatus): void {
  if (status === shownStatus) return;
  const wasOffline = shownStatus === 'offline';
  shownStatus = status;
  banner.hidden = status !== 'offline';
  liveBadge.hidden = false;
  liveBadge.textContent = status === 'connected' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Offline';
  liveBadge.dataset.status = status;
  if (status === 'offline') announce('Connection lost. Reconnecting; the figures shown may be out of date.');
  else if (status === 'connected' && wasOffline) announce('Connection restored. Live updates resumed.');
}

function connection(status: ConnectionStatus): void {
  socketStatus = status;
  show(navigator.onLine === false ? 'offline' : status);
}

window.addEventListener('offline', () => show('offline'));
window.addEventListener('online', () => show(socketStatus));

// ------------------------------------------------------------------ signing in and out

const signInSection = byId('sign-in');
const dashboardSection = byId('dashboard');
const form = byId<HTMLFormElement>('sign-in-form');
const formError = byId('sign-in-error');
const signOutButton = byId<HTMLButtonElement>('sign-out');
const who = byId('who');

function showSignIn(message = ''): void {
  dashboard?.stop();
  dashboard = null;
  clearTimeout(expiryTimer);
  sessionStorage.removeItem(SESSION_KEY);
  signInSection.hidden = false;
  signOutButton.hidden = true;
  who.textContent = '';
  formError.textContent = message;
  formError.hidden = message === '';
  try {
    const last = JSON.parse(localStorage.getItem(LAST_KEY) ?? 'null') as { company?: string; username?: string } | null;
    const company = byId<HTMLInputElement>('company');
    const username = byId<HTMLInputElement>('username');
    if (last?.company && !company.value) company.value = last.company;
    if (last?.username && !username.value) username.value = last.username;
    (company.value ? (username.value ? byId<HTMLInputElement>('password') : username) : company).focus();
  } catch {
    // storage unavailable: the form starts empty
  }
}

/** Signing out (or a refused token) reloads the page so nothing of the last user stays in memory. */
function signOut(message = ''): void {
  sessionStorage.removeItem(SESSION_KEY);
  if (message) sessionStorage.setItem(`${SESSION_KEY}.message`, message);
  dashboard?.stop();
  dashboard = null;
  window.location.reload();
}

async function start(session: Session): Promise<void> {
  let me: Me;
  try {
    me = (await ok(ME, {}, session.token)).me;
  } catch (error) {
    if (codeOf(error) === 'UNAUTHENTICATED') return showSignIn('Your session has ended. Please sign in again.');
    return showSignIn(`The gateway cannot be reached: ${(error as Error).message}`);
  }
  signInSection.hidden = true;
  dashboardSection.hidden = false;
  signOutButton.hidden = false;
  who.textContent = `${me.username} · ${me.company.name}`;
  document.title = `${me.company.name} · Supervisor dashboard`;
  dashboard = new Dashboard(session.token, me, { signOut, connection, announce });
  clearTimeout(expiryTimer);
  const left = Date.parse(session.expiresAt) - Date.now();
  // Timers beyond about 24 days fire at once; tokens live hours.
  if (left < 2 ** 31 - 1) expiryTimer = setTimeout(() => signOut('Your session has expired. Please sign in again.'), left);
  byId('main').focus({ preventScroll: true });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const company = String(data.get('company') ?? '').trim();
  const username = String(data.get('username') ?? '').trim();
  const password = String(data.get('password') ?? '');
  const button = form.querySelector('button')!;
  button.disabled = true;
  formError.hidden = true;
  void (async () => {
    try {
      const { login } = await ok(LOGIN, { s: company, u: username, p: password });
      byId<HTMLInputElement>('password').value = '';
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(login));
      try {
        localStorage.setItem(LAST_KEY, JSON.stringify({ company, username }));
      } catch {
        // not remembered
      }
      await start(login);
    } catch (error) {
      const code = codeOf(error);
      formError.textContent =
        code === 'UNAUTHENTICATED' || code === 'BAD_USER_INPUT' ? 'Company, user or password is not right.' : code === 'NETWORK_ERROR' ? 'The gateway cannot be reached.' : (error as Error).message;
      formError.hidden = false;
      byId<HTMLInputElement>('password').focus();
    } finally {
      button.disabled = false;
    }
  })();
});

signOutButton.addEventListener('click', () => signOut());
whenUnauthenticated(() => {
  if (dashboard !== null) signOut('Your session has ended. Please sign in again.');
});

const session = readSession();
const message = sessionStorage.getItem(`${SESSION_KEY}.message`) ?? '';
sessionStorage.removeItem(`${SESSION_KEY}.message`);
if (session) void start(session);
else showSignIn(message);
