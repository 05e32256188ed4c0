// Closing the console takes the agent's browser phone off Asterisk, and
// opening it again brings it back (cmd/stasisq's
// TestAsteriskWebRTCUnregistered checks what routing makes of it); with
// the queue's auto-answer the phone takes the next call by itself; a second
// tab of the same user waits while the first holds the phone and takes over
// when it closes, and answers by itself with the agent's own auto-answer;
// after a network drop the phone says it is reconnecting, registers again
// by itself and takes the next call.
import { run, signIn, until, step, cue, USERS, BASE } from './lib.mjs';

const phoneState = (page) => page.getByTestId('phone-state').getAttribute('data-state');

await run('webrtc-unregistered', async (browser) => {
  const open = async () => {
    const page = await signIn(browser, USERS.alice, '/agent');
    await until('the phone to register', async () => (await phoneState(page)) === 'registered', 40_000);
    return page;
  };
  let page = await open();
  step('registered');
  await cue('close');
  await page.context().close();
  step('closed');
  await cue('reopen');
  page = await open();
  step('registered-again');
  await until("the phone to answer by itself (the queue's auto-answer)", async () => (await phoneState(page)) === 'incall', 40_000);
  step('auto-answered');
  await until('the call to end', async () => (await phoneState(page)) === 'registered', 40_000);

  await cue('second');
  const second = await page.context().newPage();
  await second.goto(`${BASE}/agent`);
  await until('the second tab to leave the phone to the first', async () => (await phoneState(second)) === 'other_tab');
  await page.close();
  await until('the second tab to take the phone over', async () => (await phoneState(second)) === 'registered', 40_000);
  step('second-tab');
  await until("the second tab to answer by itself (the agent's auto-answer)", async () => (await phoneState(second)) === 'incall', 40_000);
  step('auto-answered-agent');
  await until('that call to end', async () => (await phoneState(second)) === 'registered', 40_000);
  step('idle');

  // The test cuts the network between the browser and Asterisk for a while.
  await cue('drop');
  await until('the phone to say it is reconnecting', async () => (await phoneState(second)) === 'reconnecting', 20_000);
  step('reconnecting');
  // The caller who waited meanwhile rings at once: ready may not last.
  await until('the phone to register again by itself', async () => ['registered', 'ringing', 'incall'].includes(await phoneState(second)), 40_000);
  step('reconnected');
  await until('the phone to answer the next call by itself', async () => (await phoneState(second)) === 'incall', 40_000);
  step('auto-answered-after-drop');
  await until('that call to end too', async () => (await phoneState(second)) === 'registered', 40_000);
  await cue('done');
});
