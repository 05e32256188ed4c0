// Reports: sam opens Reports, sees today's figures with a chart, picks
// "Yesterday" (the demo has no history: the chart says so) and back to
// today by day, and downloads the queues' CSV, whose rows are the API's.
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
  const bands = await sam.getByTestId('wait-band').count();
  const caption = await sam.getByTestId('wait-chart').locator('figcaption').textContent();
  const answered = Number(await all.locator('td').nth(1).textContent());
  assert(bands === 7 && caption.includes(`${answered} answered`), `wait chart: ${bands} bands, "${caption}", want 7 bands over the ${answered} answered`);
  await screenshot(sam, 'reports');

  await sam.getByTestId('report-range').selectOption('yesterday');
  await sam.getByTestId('report-show').click();
  await until('yesterday: no calls', async () => /No calls in this range/.test(await sam.getByTestId('report-chart').textContent()));

  await sam.getByTestId('report-range').selectOption('today');
  await sam.getByTestId('report-interval').selectOption('day');
  await sam.getByTestId('report-show').click();
  await until('today by day', async () => (await sam.getByTestId('report-chart').locator('rect').count()) === 3);

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
  assert(lines.length - 1 === got.rows && csvOffered === got.offered, `CSV ${lines.length - 1} rows, ${csvOffered} offered; API ${got.rows} rows, ${got.offered} offered`);
  log(`CSV: ${lines.length - 1} rows, header ${lines[0]}`);
});
