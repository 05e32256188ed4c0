// An agent's call from her console: alice logs in to her queues and is
// ready, a waiting caller rings her (the call card shows the number and the
// customer panel fills from the CRM), her phone answers (On call), the call
// ends, wrap-up counts up, she presses Done and is ready again with one
// call on today's figures. Needs callers waiting in alice's queues. She
// stays logged in: run it after scenarios that need the callers to wait.
import { run, signIn, until, assert, screenshot, log, USERS } from './lib.mjs';

// Ringing, talking and wrap-up take the demo's simulated seconds.
const CALL = 45_000;

await run('agent-call', async (browser) => {
  const alice = await signIn(browser, USERS.alice, '/agent');
  // The demo has no SIP server: the phone says so, and calls ring the
  // simulated phones as before.
  await until('the phone to say there is none in the demo', async () =>
    (await alice.getByTestId('phone-state').getAttribute('data-state')) === 'off'
    && /demo/.test(await alice.getByTestId('phone-detail').textContent()));
  const pill = alice.getByTestId('state-pill');
  const state = () => pill.getAttribute('data-state');
  const callCard = alice.getByTestId('call-card');

  await until('alice to be logged out of her queues', async () => (await state()) === 'logged-out');
  // Who is waiting, as her console lists them: the call must be one of them.
  await until('waiting callers on alice\'s console', () => alice.getByTestId('waiting-caller').count());
  const waiting = new Set(await alice.locator('[data-testid="waiting-caller"] .number').allTextContents());
  const callsBefore = Number(await alice.getByTestId('today-calls').textContent());
  log(`alice sees ${waiting.size} callers waiting; ${callsBefore} calls today`);

  await alice.getByTestId('agent-login-button').click();
  const first = await until('alice logged in', async () => {
    const s = await state();
    return s !== 'logged-out' && s;
  });
  if (first === 'paused') {
    await alice.getByTestId('ready-button').click();
  }
  log(`alice logged in: ${first}`);

  // Rung by a waiting caller.
  await until('alice\'s phone to ring', async () => (await callCard.getAttribute('data-state')) === 'ringing' || (await state()) === 'on-call', CALL);
  const number = (await alice.getByTestId('caller-number').textContent()).trim();
  log(`alice is rung by ${number} (${await alice.getByTestId('caller-name').textContent()})`);
  assert(waiting.has(number), `call card number ${number} was not among the waiting callers ${[...waiting].join(' ')}`);

  // Read in one go: the call may be short.
  const onCall = () => alice.evaluate(() => {
    const q = (id) => document.querySelector(`[data-testid="${id}"]`);
    return { state: q('state-pill')?.dataset.state, pill: q('state-pill')?.textContent, card: q('call-card')?.querySelector('h2')?.textContent, number: q('caller-number')?.textContent.trim() };
  });
  let seen = {};
  // Watched from now on: the call may be over before the screen pop is read.
  const onCallSeen = until(() => `alice's console to show On call with ${number} (it shows ${JSON.stringify(seen)})`, async () => {
    seen = await onCall();
    return seen.state === 'on-call' && /On call/.test(seen.pill) && /On call/.test(seen.card) && seen.number === number;
  }, CALL);
  onCallSeen.catch(() => {}); // awaited below; a failure before then must not crash node

  // The screen pop: labelled fields from the CRM for this number.
  const panel = alice.getByTestId('customer-panel');
  let shown = '';
  const fields = await until(() => `the customer panel to show CRM fields (it shows ${JSON.stringify(shown)})`, async () => {
    shown = await panel.innerText({ timeout: 1000 }).catch((e) => e.message);
    const f = await panel.locator('dl.fields dt').evaluateAll((dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent || '']));
    // Anything but "Looking up…" is the panel's answer: no need to wait on.
    return (f.length || (shown.trim() && !/Looking up/.test(shown))) && f;
  }, CALL);
  assert(fields.length && fields.every(([k, v]) => k.trim() && v.trim()),
    `the customer panel shows ${JSON.stringify(shown)}, want labelled CRM fields`);
  log(`customer panel: ${fields.map(([k, v]) => `${k}=${v}`).join('; ')}`);

  await onCallSeen;
  log(`alice on call: ${seen.pill.trim()}`);
  await screenshot(alice, 'agent-on-call');

  // The phone or the caller hangs up: wrap-up, its timer counting up.
  await until(() => `alice in wrap-up (she is ${seen.state})`, async () => (seen = await onCall()).state === 'wrap-up', CALL);
  await until(() => `the wrap-up pill to count past 0:00 (it says ${JSON.stringify(seen.pill)})`, async () => {
    seen = await onCall();
    return seen.state === 'wrap-up' && /Wrap-up/.test(seen.pill) && /\b\d+:(0[1-9]|[1-5]\d)\b/.test(seen.pill) && /Wrap-up/.test(seen.card);
  }, 5000);
  log(`alice in wrap-up: ${seen.pill.trim()}`);
  await screenshot(alice, 'agent-wrap-up');
  // Done, unless the queue's wrap-up time ran out first.
  try {
    await alice.getByTestId('done-button').click({ timeout: 5000 });
    log('alice pressed Done');
  } catch (e) {
    assert((await state()) !== 'wrap-up', `Done: ${e.message}`);
    log(`wrap-up ended before Done: ${await state()}`);
  }
  await until('alice out of wrap-up', async () => ['available', 'ringing', 'on-call'].includes(await state()), CALL);
  log(`alice after wrap-up: ${await pill.textContent()}`);
  await until('today\'s calls to count the call', async () => Number(await alice.getByTestId('today-calls').textContent()) === callsBefore + 1, CALL);

});
