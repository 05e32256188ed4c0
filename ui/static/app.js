// Entry point: find out who is logged in and show their screen.
//   /login  the login form
//   /agent  the agent console
//   /wall   the supervisor wallboard (?wall=1: TV mode, no controls)
//   /admin  queues and users
import { get, post, setCSRF, APIError } from './api.js';
import { h, replace, params } from './util.js';

const main = document.getElementById('main');
const top = document.getElementById('top');

async function start() {
  const path = location.pathname;
  if (path === '/login') return showLogin();
  let session;
  try {
    session = await get('/api/session');
  } catch (e) {
    if (e instanceof APIError && e.status === 401) return; // api() went to /login
    replace(main, h('p', { class: 'error' }, `Cannot load: ${e.message}`));
    return;
  }
  setCSRF(session.csrf);
  const role = session.user.role;
  const rank = { agent: 1, supervisor: 2, admin: 3 }[role] || 0;
  if (path === '/' || path === '') {
    location.replace(rank >= 2 ? '/wall' : '/agent');
    return;
  }
  const wall = params().get('wall') === '1';
  document.body.classList.toggle('wall', wall);
  if (!wall) nav(session, rank, path);
  if (path === '/agent') {
    (await import('./agent.js')).showAgent(main, session);
  } else if (path === '/wall' && rank >= 2) {
    (await import('./wallboard.js')).showWallboard(main, session, { wall });
  } else if (path === '/admin' && rank >= 3) {
    (await import('./admin.js')).showAdmin(main, session);
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
      location.assign(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
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

start();
