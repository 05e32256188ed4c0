// A callback on the wallboard: the demo's first caller asked to be called
// back (--initial-callbacks 1) and holds its place without its line. sam
// sees it marked as a callback with its number, moves it down the queue by
// keyboard (Alt+ArrowDown) and back up, and the engine's order (the API)
// follows each move.
import { run, signIn, until, callerOrder, assert, screenshot, log, USERS } from './lib.mjs';

await run('callback-wallboard', async (browser) => {
  const sam = await signIn(browser, USERS.sam, '/wall');
  const cb = sam.locator('[data-testid="caller-card"].is-callback');
  await until('a callback card on the wallboard', async () => (await cb.count()) === 1, 30_000);
  const id = await cb.getAttribute('data-caller-id');
  const queue = await cb.evaluate((el) => el.closest('[data-testid="queue-tile"]').dataset.queue);
  const label = await cb.getByTestId('caller-card-callback').textContent();
  const api = await sam.evaluate(async (q) => (await (await fetch(`/api/queues/${q}`)).json()).callers, queue);
  const mine = api.find((c) => c.id === id);
  assert(mine && mine.callback === 'waiting' && label.includes(mine.callback_number),
    `card "${label}", API ${JSON.stringify(mine)}: want a waiting callback showing its number`);
  log(`callback ${id} in ${queue}: "${label}"; queue ${(await callerOrder(sam, queue)).join(' ')}`);
  await screenshot(sam, 'callback-wallboard');

  const apiOrder = () => sam.evaluate(async (q) => (await (await fetch(`/api/queues/${q}`)).json()).callers.map((c) => c.id), queue);
  const before = await callerOrder(sam, queue);
  assert(before.length >= 2, `queue ${queue} has ${before.length} callers, want the callback and another`);
  const card = sam.locator(`[data-testid="caller-card"][data-caller-id="${id}"]`);
  const at = before.indexOf(id);
  await card.focus();
  await sam.keyboard.press('Space');
  await until('the callback selected', async () => (await card.getAttribute('aria-selected')) === 'true');
  const down = at < before.length - 1;
  await sam.keyboard.press(down ? 'Alt+ArrowDown' : 'Alt+ArrowUp');
  const moved = before.indexOf(id) + (down ? 1 : -1);
  await until(`the callback at position ${moved + 1} in the engine`, async () => (await apiOrder()).indexOf(id) === moved);
  await until('the wallboard showing it there', async () => (await callerOrder(sam, queue)).indexOf(id) === moved);
  await sam.keyboard.press(down ? 'Alt+ArrowUp' : 'Alt+ArrowDown');
  await until(`the callback back at position ${at + 1}`, async () => (await apiOrder()).indexOf(id) === at);
  const still = await sam.evaluate(async ([q, c]) => (await (await fetch(`/api/queues/${q}`)).json()).callers.find((x) => x.id === c)?.callback, [queue, id]);
  assert(still === 'waiting', `after the moves the callback is "${still}", want still waiting`);
  log(`moved ${down ? 'down' : 'up'} and back: ${(await apiOrder()).join(' ')}`);
});
