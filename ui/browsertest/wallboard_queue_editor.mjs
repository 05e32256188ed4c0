// A supervisor changes an agent's penalty in the agents board's queue
// editor: the membership keeps its member order and configured pause
// (queues.conf's member => line order and paused=yes), which the editor
// does not show, as well as taking the new penalty.
import { run, signIn, until, assert, log, USERS } from './lib.mjs';

await run('wallboard-queue-editor', async (browser) => {
  const sam = await signIn(browser, USERS.sam, '/wall');
  const agents = () => sam.evaluate(async () => (await (await fetch('/api/agents')).json()));
  // An agent the other scenarios leave alone, in at least one queue.
  const busy = new Set([USERS.alice, USERS.bob]);
  const target = (await agents()).find((a) => !busy.has(a.config.id) && (a.config.queues || []).length > 0);
  assert(target, 'no demo agent in a queue besides alice and bob');
  const id = target.config.id;
  const q = target.config.queues[0].queue;
  // Give the membership an order through the API, as an import does.
  const ordered = target.config.queues.map((m, i) => ({ ...m, order: i + 7 }));
  await sam.evaluate(async ([id, queues]) => {
    const { put } = await import('/static/api.js');
    await put(`/api/agents/${encodeURIComponent(id)}/queues`, { queues });
  }, [id, ordered]);
  const membership = async () => ((await agents()).find((a) => a.config.id === id).config.queues || []).find((m) => m.queue === q);
  await until(`${id}'s ${q} membership to have order 7`, async () => (await membership())?.order === 7);

  const row = sam.locator(`[data-testid="agent-row"][data-agent-id="${id}"]`);
  await row.getByTestId('agent-edit-queues').click();
  const pen = row.getByLabel(`Penalty in ${q}`);
  const penalty = Number(await pen.inputValue()) + 3;
  await pen.fill(String(penalty));
  await row.getByTestId('agent-queues-save').click();
  await until(`${id}'s ${q} penalty to be ${penalty}`, async () => (await membership())?.penalty === penalty);
  const after = await membership();
  log(`${id} in ${q} after the editor: ${JSON.stringify(after)}`);
  assert(after.order === 7, `the editor dropped the member order: ${JSON.stringify(after)}`);
});
