// The console's screens change in the page: sam goes from the wallboard
// to Calls, Reports and back (links and the browser's Back) without the
// page loading again, so the phone and a call on it stay; each screen
// closes its live websocket when it goes, so one is open at a time.
import { run, signIn, until, assert, log, BASE, USERS } from './lib.mjs';

await run('console-navigation', async (browser) => {
  const sam = await signIn(browser, USERS.sam, '/wall');
  const open = new Set();
  sam.on('websocket', (ws) => {
    if (!ws.url().endsWith('/api/ws')) return;
    open.add(ws);
    ws.on('close', () => open.delete(ws));
  });
  await until('the wallboard', () => sam.getByTestId('queue-tile').count());
  // Marks that a page load would wipe: one on the window, one on the phone.
  await sam.evaluate(() => { window.stasisqNavMark = 'kept'; document.querySelector('[data-testid="phone"]').dataset.navMark = 'kept'; });
  const kept = () => sam.evaluate(() => [window.stasisqNavMark, document.querySelector('[data-testid="phone"]')?.dataset.navMark].join(','));
  const nav = (name) => sam.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name, exact: true });

  await nav('Calls').click();
  await until('the Calls screen', async () => new URL(sam.url()).pathname === '/calls' && (await sam.getByRole('heading', { name: 'Calls' }).count()) === 1);
  assert(await kept() === 'kept,kept', `after Calls the page was loaded again (marks ${await kept()})`);
  assert(await nav('Calls').getAttribute('aria-current') === 'page', 'Calls is not marked as the current screen');
  await until("the wallboard's live socket to close", () => open.size === 0);

  await nav('Reports').click();
  await until('the Reports screen', async () => (await sam.getByRole('heading', { name: 'Reports' }).count()) === 1);
  await sam.goBack();
  await until('Back to Calls', async () => new URL(sam.url()).pathname === '/calls' && (await sam.getByRole('heading', { name: 'Calls' }).count()) === 1);
  await nav('Wallboard').click();
  await until('the wallboard again', () => sam.getByTestId('queue-tile').count());
  await until('one live socket', () => open.size === 1);
  await nav('Calls').click();
  await nav('Wallboard').click();
  await until('the wallboard once more', () => sam.getByTestId('queue-tile').count());
  await new Promise((r) => setTimeout(r, 500));
  assert(open.size === 1, `${open.size} live sockets open after going back and forth, want 1`);
  assert(await kept() === 'kept,kept', `the page was loaded again (marks ${await kept()})`);
  assert((await sam.getByTestId('phone').count()) === 1, 'the phone is not on the screen once');

  // Wall mode is its own full-screen page: a real load.
  await sam.goto(`${BASE}/wall?wall=1`);
  await until('wall mode', () => sam.getByTestId('queue-tile').count());
  log('screens changed in the page; one live socket at a time');
});
