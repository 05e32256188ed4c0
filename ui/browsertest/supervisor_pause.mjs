// A supervisor pauses an agent from the agents board: bob, logged in on
// his own console, sees Paused with the reason sam chose; sam unpauses him
// and bob sees Ready. Bob first leaves all his queues (the My queues
// toggles) so no waiting caller rings him meanwhile: a pause that lands
// mid-call shows only once the call is over.
import { run, signIn, until, assert, log, screenshot, USERS } from './lib.mjs';

await run('supervisor-pause', async (browser) => {
  const bob = await signIn(browser, USERS.bob, '/agent');
  const sam = await signIn(browser, USERS.sam, '/wall');
  const pill = bob.getByTestId('state-pill');
  const state = () => pill.getAttribute('data-state');

  await until('bob to be logged out of his queues', async () => (await state()) === 'logged-out');
  const row = sam.locator(`[data-testid="agent-row"][data-agent-id="${USERS.bob}"]`);
  const boardQueues = async () => (await row.locator('.agent-queues').textContent()).trim();
  const toggles = bob.getByTestId('queue-toggle');
  await until('bob\'s queue toggles', () => toggles.count());
  // One at a time, each redrawn on bob's console and seen on sam's board
  // before the next: the console sends the whole list on each change,
  // built from the list it last drew.
  const redrawn = async (change) => {
    await toggles.evaluateAll((els) => { for (const el of els) el.dataset.drawnBefore = '1'; });
    await change();
    await until('bob\'s queue toggles to be redrawn', () => bob.locator('[data-testid="queue-toggle"]:not([data-drawn-before])').count());
  };
  for (const box of await toggles.all()) {
    const q = await box.getAttribute('data-queue');
    await redrawn(() => box.uncheck());
    await until(`sam's board to show bob out of ${q}`, async () => !(await boardQueues()).includes(`${q} (`));
  }
  assert(await boardQueues() === '', `sam's board shows bob in ${await boardQueues()}, want no queue`);
  await bob.getByTestId('agent-login-button').click();
  await until('bob ready', async () => (await state()) === 'available');
  await until('sam\'s board to show bob ready', async () => (await row.getAttribute('data-state')) === 'available');

  // The last reason on the list, so a pause that ignored the choice fails.
  // A server without a list of reasons offers one empty reason: then the
  // pill can only say Paused.
  const reasons = await row.getByTestId('agent-pause-reason').locator('option').evaluateAll((os) => os.map((o) => o.value));
  const reason = reasons[reasons.length - 1];
  if (reason) {
    await row.getByTestId('agent-pause-reason').selectOption(reason);
  } else {
    log(`NOTE: the server has no pause reasons (options ${JSON.stringify(reasons)}); checking Paused without one`);
  }
  await row.getByTestId('agent-pause').click();
  let said = '';
  await until(() => `bob's console to say Paused — ${reason} (it says ${JSON.stringify(said)})`, async () => {
    said = await pill.textContent();
    return (await state()) === 'paused' && said.includes(reason ? `Paused — ${reason}` : 'Paused');
  });
  log(`bob sees: ${(await pill.textContent()).trim()}`);
  await screenshot(bob, 'agent-paused');
  assert(await bob.getByTestId('ready-button').isEnabled(), 'bob\'s Ready button is disabled while paused');
  let onBoard = '';
  await until(() => `sam's board to say Paused — ${reason} (it says ${JSON.stringify(onBoard)})`,
    async () => (onBoard = await row.getByTestId('agent-state').textContent()).includes(reason));

  await row.getByTestId('agent-unpause').click();
  await until('bob\'s console to say Ready', async () => (await state()) === 'available' && (await pill.textContent()).includes('Ready'));
  log(`bob sees: ${(await pill.textContent()).trim()}`);

  // Leave as found: logged out, in all his queues.
  await bob.getByTestId('agent-logout-button').click();
  await until('bob logged out', async () => (await state()) === 'logged-out');
  for (const box of await toggles.all()) {
    const q = await box.getAttribute('data-queue');
    await redrawn(() => box.check());
    await until(`sam's board to show bob back in ${q}`, async () => (await boardQueues()).includes(`${q} (`));
  }
});
