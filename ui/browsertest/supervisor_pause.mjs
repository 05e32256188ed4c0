// A supervisor pauses an agent from the agents board: bob, logged in on
// his own console, sees Paused with the reason sam chose; sam unpauses him
// and bob sees Ready. Bob first leaves all his queues (the My queues
// toggles) so no waiting caller rings him meanwhile: a pause that lands
// mid-call shows only once the call is over.
import { run, signIn, until, assert, log, USERS } from './lib.mjs';

await run('supervisor-pause', async (browser) => {
  const bob = await signIn(browser, USERS.bob, '/agent');
  const sam = await signIn(browser, USERS.sam, '/wall');
  const pill = bob.getByTestId('state-pill');
  const state = () => pill.getAttribute('data-state');

  await until('bob to be logged out of his queues', async () => (await state()) === 'logged-out');
  const toggles = bob.getByTestId('queue-toggle');
  await until('bob\'s queue toggles', () => toggles.count());
  for (const box of await toggles.all()) {
    await box.uncheck();
  }
  const row = sam.locator(`[data-testid="agent-row"][data-agent-id="${USERS.bob}"]`);
  await until('sam\'s agents board to show bob in no queue', async () => (await row.locator('.agent-queues').textContent()).trim() === '');
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
    await box.check();
  }
});
