// A recorded call, from the wallboard to the call history: alice (logged in
// by the agent call before) takes calls until one of sales, which records
// every call; sam's agents board shows it Recording, sam pauses it, alice
// resumes it from her own call card (sales lets agents), and after the call
// sam's call history lists it with the pause, plays it in the browser and
// downloads it; alice, an agent, may not fetch it. Sam's Listen, with no
// phone of his in the demo, says so.
import { run, signIn, until, assert, screenshot, log, USERS } from './lib.mjs';

const CALL = 60_000;

await run('call-recording', async (browser) => {
  const sam = await signIn(browser, USERS.sam, '/wall');
  const alice = await signIn(browser, USERS.alice, '/agent');
  const row = sam.locator(`[data-testid="agent-row"][data-agent-id="${USERS.alice}"]`);
  const badge = row.getByTestId('recording-state');
  const rowState = () => row.getAttribute('data-state');

  const pill = alice.getByTestId('state-pill');
  if ((await pill.getAttribute('data-state')) === 'wrap-up') await alice.getByTestId('done-button').click();
  if ((await pill.getAttribute('data-state')) === 'paused') await alice.getByTestId('ready-button').click();

  // alice takes the calls the floor gives her until one is recorded; the
  // badge comes with the on-call state (the same event).
  let recorded = false;
  for (let i = 0; i < 6 && !recorded; i++) {
    await until('alice on a call on sam\'s board', async () => (await rowState()) === 'on-call', CALL);
    recorded = await until('the call to show whether it is recorded', async () => {
      if (await badge.count()) return 'yes';
      return (await rowState()) !== 'on-call' && 'over';
    }, 3000).then((v) => v === 'yes', () => false);
    if (recorded) break;
    log(`call ${i + 1} of alice is not recorded (not sales); waiting for the next`);
    await until('alice off that call', async () => (await rowState()) !== 'on-call', CALL);
  }
  assert(recorded, 'alice took no recorded (sales) call');
  const caller = (await row.locator('.agent-caller').textContent()).trim();
  log(`alice's call with ${caller} is recorded: ${await badge.textContent()}`);
  assert((await badge.getAttribute('data-recording')) === 'recording', 'the badge does not say Recording');

  await row.getByTestId('recording-pause').click();
  await until('sam\'s board to say Recording paused', async () => (await badge.getAttribute('data-recording')) === 'paused');
  const aliceBadge = alice.getByTestId('call-card').getByTestId('recording-state');
  await until('alice\'s call card to say Recording paused', async () => (await aliceBadge.getAttribute('data-recording')) === 'paused');
  await screenshot(sam, 'recording-paused-wallboard');
  await new Promise((r) => setTimeout(r, 1500)); // a pause long enough to show in the record
  await alice.getByTestId('my-recording-resume').click();
  await until('sam\'s board to say Recording again', async () => (await badge.getAttribute('data-recording')) === 'recording');
  log('paused by sam, resumed by alice');

  // Listen: sam has no phone in the demo, and is told so on his board.
  await row.getByTestId('monitor-listen').click();
  const said = await until('sam to be told why he cannot listen', async () => {
    const text = await sam.getByTestId('action-status').textContent();
    return /no phone to listen on/.test(text) && text;
  });
  log(`Listen: ${said.trim()}`);

  await until('the call to end', async () => (await rowState()) !== 'on-call', CALL);
  await sam.goto(new URL('/calls', sam.url()).href);
  const callRow = sam.locator('[data-testid="call-row"]', { has: sam.getByTestId('recording-pauses') }).first();
  await until('the call history to list the call with its pause and a player', async () => {
    await sam.getByTestId('calls-show').click();
    await sam.waitForTimeout(300);
    return (await callRow.count()) && (await callRow.getByTestId('recording-play').count());
  });
  const pauses = await callRow.getByTestId('recording-pauses').textContent();
  assert(/\(sam\)/.test(pauses), `the pause is not sam's: ${pauses}`);
  const id = await callRow.getAttribute('data-call');
  log(`call ${id}: ${pauses.trim()}`);

  await callRow.getByTestId('recording-play').click();
  const audio = callRow.getByTestId('recording-audio');
  const seconds = await until('the player to load the recording', async () => {
    const d = await audio.evaluate((a) => (a.readyState >= 1 ? a.duration : 0));
    return d > 0 && d;
  });
  log(`the player has ${seconds.toFixed(2)} s`);
  await screenshot(sam, 'recording-call-history');

  const href = await callRow.getByTestId('recording-download').getAttribute('href');
  const got = await sam.evaluate(async (u) => {
    const r = await fetch(u);
    return { status: r.status, type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition'), size: (await r.arrayBuffer()).byteLength };
  }, href);
  assert(got.status === 200 && /audio\/wav/.test(got.type) && /attachment/.test(got.disposition) && got.size > 44,
    `download: ${JSON.stringify(got)}, want 200 audio/wav as an attachment`);
  // The call's timeline, and the search by its number with a CSV of it.
  await callRow.getByTestId('call-details').click();
  const steps = await sam.getByTestId('call-timeline').first().textContent();
  assert(/rang alice: answered/.test(steps) && /answered by alice/.test(steps), `timeline: ${steps}`);
  const digits = caller.replace(/\D/g, '').slice(0, 12);
  await sam.getByTestId('calls-number').fill(digits);
  await sam.getByTestId('calls-show').click();
  await until(`the search by ${digits} to list that call alone`, async () =>
    (await sam.getByTestId('call-row').count()) === 1 && (await sam.getByTestId('call-row').getAttribute('data-call')) === id);
  const csvHref = await sam.getByTestId('calls-csv').getAttribute('href');
  const csv = await sam.evaluate(async (u) => { const r = await fetch(u); return { status: r.status, type: r.headers.get('content-type'), text: await r.text() }; }, csvHref);
  const csvLines = csv.text.trim().split(/\r?\n/);
  assert(csv.status === 200 && /text\/csv/.test(csv.type) && csvLines[0].startsWith('id,') && csvLines.length === 2 && csvLines[1].startsWith(id),
    `calls CSV: ${csv.status} ${csv.type} ${csvLines.length} lines: ${csvLines[0]}`);
  log(`timeline: ${steps.trim()}; the search by ${digits} finds it; CSV ${csvLines.length - 1} row`);
  const forAlice = await alice.evaluate(async (u) => (await fetch(u)).status, href);
  assert(forAlice === 403, `alice's fetch of the recording: ${forAlice}, want 403`);
  log(`download ${got.size} bytes; alice refused with ${forAlice}`);
}, { timeout: 240_000 });
