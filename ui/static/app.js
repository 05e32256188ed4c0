// Entry point: find out who is logged in and show their screen.
//   /login  the login form
//   /setup  the first administrator, with the one-time token serve logged
//   /agent  the agent console
//   /wall   the supervisor wallboard (?wall=1: TV mode, no controls)
//   /calls  call history with recordings (supervisors)
//   /reports  queue and agent figures over a range, charts and CSV (supervisors)
//   /admin  queues and users
import { get, post, setCSRF, APIError } from './api.js';
import { h, replace, params, sameOriginPath } from './util.js';

const main = document.getElementById('main');
const top = document.getElementById('top');

// The console's screens change in the page (history.pushState), not by
// loading another: the browser phone, and a call on it, live as long as
// the page. Each screen gets a signal that aborts when another replaces
// it, and closes what it opened (its live websocket, timers, listeners).
const SCREENS = new Set(['/agent', '/wall', '/calls', '/reports', '/admin']);
let session;
let rank = 0;
let screen = null; // the current screen's AbortController
let phoneMounted = false;

async function start() {
  const path = location.pathname;
  if (path === '/login') return showLogin();
  if (path === '/setup') return showSetup();
  try {
    session = await get('/api/session');
  } catch (e) {
    if (e instanceof APIError && e.status === 401) return; // api() went to /login
    replace(main, h('p', { class: 'error' }, `Cannot load: ${e.message}`));
    return;
  }
  setCSRF(session.csrf);
  rank = { agent: 1, supervisor: 2, admin: 3 }[session.user.role] || 0;
  if (path === '/' || path === '') {
    location.replace(rank >= 2 ? '/wall' : '/agent');
    return;
  }
  document.addEventListener('click', followLink);
  addEventListener('popstate', () => show());
  await show();
}

// followLink keeps a click on a link to another screen in the page; a
// new tab, a download, wall mode (its own full-screen page) or anything
// else goes the browser's way.
function followLink(ev) {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target.closest?.('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const u = new URL(a.href, location.href);
  if (u.origin !== location.origin || !SCREENS.has(u.pathname) || u.searchParams.get('wall') === '1' || params().get('wall') === '1') return;
  ev.preventDefault();
  if (u.pathname + u.search !== location.pathname + location.search) history.pushState(null, '', u.pathname + u.search + u.hash);
  // As after a page load, keyboard and screen-reader users start at the
  // new screen, not at the link they left.
  show().then(() => main.focus({ preventScroll: true }));
}

async function show() {
  const path = location.pathname;
  if (screen) screen.abort();
  screen = new AbortController();
  const { signal } = screen;
  const wall = params().get('wall') === '1';
  document.body.classList.toggle('wall', wall);
  if (wall) replace(top); else nav(session, rank, path);
  if (!wall && !phoneMounted) {
    // The phone, on every screen of the console, mounted once.
    phoneMounted = true;
    const spot = document.getElementById('phone');
    import('./phone.js').then((m) => m.mountPhone(spot)).catch((e) => { spot.hidden = false; spot.textContent = `Phone: ${e.message}`; });
  }
  replace(main, h('p', { class: 'muted' }, 'Loading…'));
  const open = async (file, fn, opts = {}) => {
    const mod = await import(file);
    if (!signal.aborted) mod[fn](main, session, { ...opts, signal });
  };
  if (path === '/agent') {
    await open('./agent.js', 'showAgent');
  } else if (path === '/wall' && rank >= 2) {
    await open('./wallboard.js', 'showWallboard', { wall });
  } else if (path === '/reports' && rank >= 2) {
    await open('./reports.js', 'showReports');
  } else if (path === '/calls' && rank >= 2) {
    await open('./calls.js', 'showCalls');
  } else if (path === '/admin' && rank >= 3) {
    await open('./admin.js', 'showAdmin');
  } else {
    replace(main, h('p', { class: 'error' }, 'Your role may not open this page.'));
  }
}

function nav(session, rank, path) {
  const link = (href, text) => h('a', { href, 'aria-current': path === href ? 'page' : null }, text);
  replace(top,
    h('span', { class: 'brand' }, 'stasisq'),
    h('nav', { 'aria-label': 'Screens' },
      link('/agent', 'Agent'),
      rank >= 2 ? link('/wall', 'Wallboard') : null,
      rank >= 2 ? h('a', { href: '/wall?wall=1' }, 'Wall mode') : null,
      rank >= 2 ? link('/calls', 'Calls') : null,
      rank >= 2 ? link('/reports', 'Reports') : null,
      rank >= 3 ? link('/admin', 'Admin') : null),
    h('span', { class: 'who' }, `${session.user.name} (${session.user.role})`),
    h('button', {
      type: 'button', class: 'link', 'data-testid': 'signout',
      onclick: async () => { try { await post('/api/logout'); } finally { location.assign('/login'); } },
    }, 'Sign out'));
}

function showLogin() {
  replace(top, h('span', { class: 'brand' }, 'stasisq'));
  const err = h('p', { class: 'error', role: 'alert', 'data-testid': 'login-error' });
  const login = h('input', { id: 'login', name: 'login', autocomplete: 'username', required: true, 'data-testid': 'login-user' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' });
  const form = h('form', { class: 'login card', 'data-testid': 'login-form' },
    h('h1', {}, 'Log in'),
    h('label', { for: 'login' }, 'Login'), login,
    h('label', { for: 'password' }, 'Password'), password,
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'login-submit' }, 'Log in'),
    err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    try {
      const s = await post('/api/login', { login: login.value, password: password.value });
      setCSRF(s.csrf);
      const next = params().get('next');
      // Only a path on this site: never an open redirect.
      location.assign(sameOriginPath(next));
    } catch (e) {
      err.textContent = e.fields && Object.keys(e.fields).length
        ? Object.entries(e.fields).map(([k, v]) => `${k}: ${v}`).join('; ')
        : e.message;
      password.select();
    }
  });
  replace(main, form);
  login.focus();
}

// showSetup creates the first administrator with the token of the setup
// address (?token=...), then goes to the login.
function showSetup() {
  replace(top, h('span', { class: 'brand' }, 'stasisq'));
  const token = params().get('token') || '';
  const err = h('p', { class: 'error', role: 'alert', 'data-testid': 'setup-error' });
  const field = (id, label, attrs) => [h('label', { for: id }, label), h('input', { id, name: id, required: true, ...attrs })];
  const [loginLabel, login] = field('setup-login', 'Login', { autocomplete: 'username', 'data-testid': 'setup-login' });
  const [nameLabel, name] = field('setup-name', 'Name', { autocomplete: 'name', required: false, 'data-testid': 'setup-name' });
  const [pwLabel, password] = field('setup-password', 'Password (8 characters or more)', { type: 'password', autocomplete: 'new-password', minlength: 8, 'data-testid': 'setup-password' });
  const [againLabel, again] = field('setup-again', 'Password again', { type: 'password', autocomplete: 'new-password', 'data-testid': 'setup-again' });
  const form = h('form', { class: 'login card', 'data-testid': 'setup-form' },
    h('h1', {}, 'Create the first administrator'),
    token ? null : h('p', { class: 'error' }, 'This address has no setup token: use the one stasisq serve logged.'),
    loginLabel, login, nameLabel, name, pwLabel, password, againLabel, again,
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'setup-submit' }, 'Create'),
    err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    if (password.value !== again.value) {
      err.textContent = 'The two passwords differ.';
      again.select();
      return;
    }
    try {
      await post('/api/setup', { token, login: login.value, name: name.value, password: password.value });
      location.assign('/login?next=/admin');
    } catch (e) {
      err.textContent = e.fields && Object.keys(e.fields).length
        ? Object.entries(e.fields).map(([k, v]) => `${k}: ${v}`).join('; ')
        : e.message;
    }
  });
  replace(main, form);
  login.focus();
}

start();
