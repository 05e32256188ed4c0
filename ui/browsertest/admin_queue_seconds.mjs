// Durations are seconds on the console as in queues.conf: the queue list
// shows the ring time the server keeps, and a ring time typed in the editor
// (with a fraction) is what the API then returns.
import { run, signIn, until, assert, log } from './lib.mjs';

await run('admin-queue-seconds', async (browser) => {
  const admin = await signIn(browser, 'admin', '/admin');
  const sales = () => admin.evaluate(async () => (await (await fetch('/api/admin/queues')).json()).find((q) => q.name === 'sales'));
  const before = await sales();
  assert(Number.isFinite(before.timeout) && before.timeout > 0 && before.timeout < 600, `API timeout ${before.timeout} is not seconds`);
  const row = admin.locator('[data-testid="admin-queue-row"][data-queue="sales"]');
  const shown = await until('the sales row', async () => (await row.locator('td').nth(2).textContent()) || false);
  log(`sales ring time: API ${before.timeout}, shown ${shown}`);
  assert(Number(shown) === before.timeout, `shown ${shown}, API ${before.timeout}`);

  await row.getByTestId('edit-queue').click();
  const ring = admin.getByLabel('Ring time per attempt (s)');
  assert(Number(await ring.inputValue()) === before.timeout, `editor shows ${await ring.inputValue()}`);
  await ring.fill('22.5');
  await admin.getByTestId('save-queue').click();
  await until('the row to show 22.5', async () => (await row.locator('td').nth(2).textContent()) === '22.5');
  const after = await sales();
  assert(after.timeout === 22.5, `API keeps timeout ${after.timeout}, want 22.5`);
});
