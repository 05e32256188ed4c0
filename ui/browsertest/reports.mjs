// Reports: sam opens Reports and sees today's figures with a chart; picks
// "Yesterday" (the demo's past: --history-days), sees its chart and
// downloads the queues' CSV, whose rows are the API's; narrows the agents
// to one queue's members, then to one agent; and back to today by day.
import { run, signIn, until, assert, screenshot, log, USERS } from './lib.mjs';

await run('reports', async (browser) => {
  const sam = await signIn(browser, USERS.sam, '/reports');
  const rows = sam.getByTestId('report-queue-row');
  await until('the queues table', async () => (await rows.count()) >= 2);
  await until('the chart with bars', async () => (await sam.getByTestId('report-chart').locator('rect').count()) > 0);
  const all = sam.locator('[data-testid="report-queue-row"][data-queue="All queues"]');
  const offered = Number(await all.locator('td').nth(0).textContent());
  assert(offered > 0, `all queues offered ${offered} today, want the demo's calls`);
  log(`today: ${await sam.getByTestId('report-status').textContent()}`);

  await sam.getByTestId('report-range').selectOption('yesterday');
  await sam.getByTestId('report-show').click();
  await until('yesterday: its status', async () => /^\d{4}-\d\d-\d\d: /.test(await sam.getByTestId('report-status').textContent()));
  const yOffered = Number(await all.locator('td').nth(0).textContent());
  const yAnswered = Number(await all.locator('td').nth(1).textContent());
  assert(yOffered > 0 && yAnswered > 0, `yesterday: ${yOffered} offered, ${yAnswered} answered; want the demo's past`);
  const bars = await sam.getByTestId('report-chart').locator('rect').count();
  assert(bars > 0, `yesterday's chart has ${bars} bars`);
  const bands = await sam.getByTestId('wait-band').count();
  const caption = await sam.getByTestId('wait-chart').locator('figcaption').textContent();
  assert(bands === 7 && caption.includes(`${yAnswered} answered`), `wait chart: ${bands} bands, "${caption}", want 7 bands over the ${yAnswered} answered`);
  log(`yesterday: ${await sam.getByTestId('report-status').textContent()}, ${bars} bars`);

  const href = await sam.getByTestId('csv-queues').getAttribute('href');
  const got = await sam.evaluate(async (u) => {
    const csv = await (await fetch(u)).text();
    const json = await (await fetch(u.replace('format=csv', 'format=json'))).json();
    return { csv, rows: json.rows.length, offered: json.rows.reduce((n, r) => n + r.offered, 0) };
  }, href);
  const lines = got.csv.trim().split('\r\n');
  const header = lines[0].split(',');
  for (const col of ['queue', 'offered', 'answered', 'abandoned', 'sl_percent']) assert(header.includes(col), `CSV header ${lines[0]} lacks ${col}`);
  const csvOffered = lines.slice(1).reduce((n, l) => n + Number(l.split(',')[header.indexOf('offered')]), 0);
  assert(lines.length - 1 === got.rows && csvOffered === got.offered && csvOffered === yOffered,
    `CSV ${lines.length - 1} rows, ${csvOffered} offered; API ${got.rows} rows, ${got.offered} offered; table ${yOffered}`);
  log(`CSV: ${lines.length - 1} rows, header ${lines[0]}`);

  // The last week by day, for the README's picture: a bar group a day.
  await sam.getByTestId('report-range').selectOption('7');
  await sam.getByTestId('report-interval').selectOption('day');
  await sam.getByTestId('report-show').click();
  await until('the last 7 days by day', async () => (await sam.getByTestId('report-chart').locator('rect').count()) >= 7 * 2);
  await screenshot(sam, 'reports');

  // Agents: the support queue's members, then one of them.
  const agentRows = sam.getByTestId('report-agent-row');
  const everyone = await agentRows.count();
  const members = await sam.evaluate(async () => (await (await fetch('/api/agents')).json())
    .filter((a) => (a.config.queues || []).some((m) => m.queue === 'support')).map((a) => a.config.id).sort());
  await sam.getByTestId('report-queues').selectOption('support');
  await sam.getByTestId('report-show').click();
  const shown = async () => (await agentRows.evaluateAll((els) => els.map((e) => e.dataset.agent))).sort();
  await until(`the agents table narrowed to support's ${members.length} members`, async () => JSON.stringify(await shown()) === JSON.stringify(members));
  assert(members.length > 0 && members.length <= everyone, `support has ${members.length} of ${everyone} agents`);
  const one = members[0];
  await sam.getByTestId('report-agents').selectOption(one);
  await sam.getByTestId('report-show').click();
  await until(`the agents table with ${one} alone`, async () => JSON.stringify(await shown()) === JSON.stringify([one]));
  const agentCSV = await sam.getByTestId('csv-agents').getAttribute('href');
  assert(agentCSV.includes(`agent=${one}`), `agents CSV link ${agentCSV} is not for ${one}`);
  assert(new URL(sam.url()).searchParams.get('agent') === one, `page URL ${sam.url()} does not keep the agent`);
  log(`agents: ${everyone} in all, ${members.length} in support, then ${one}`);

  await sam.getByTestId('report-queues').selectOption([]);
  await sam.getByTestId('report-agents').selectOption([]);
  await sam.getByTestId('report-range').selectOption('today');
  await sam.getByTestId('report-interval').selectOption('day');
  await sam.getByTestId('report-show').click();
  await until('today by day', async () => (await sam.getByTestId('report-chart').locator('rect').count()) === 3);
});
