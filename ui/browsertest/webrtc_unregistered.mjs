// Closing the console takes the agent's browser phone off Asterisk, and
// opening it again brings it back (cmd/stasisq's
// TestAsteriskWebRTCUnregistered checks what routing makes of it); with
// auto-answer the phone takes the next call by itself; a second tab of the
// same user waits while the first holds the phone and takes over when it
// closes.
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
  await until('the phone to answer by itself', async () => (await phoneState(page)) === 'incall', 40_000);
  step('auto-answered');
  await until('the call to end', async () => (await phoneState(page)) === 'registered', 40_000);

  const second = await page.context().newPage();
  await second.goto(`${BASE}/agent`);
  await until('the second tab to leave the phone to the first', async () => (await phoneState(second)) === 'other_tab');
  await page.close();
  await until('the second tab to take the phone over', async () => (await phoneState(second)) === 'registered', 40_000);
  step('second-tab');
  await cue('done');
});
