// Closing the console takes the agent's browser phone off Asterisk, and
// opening it again brings it back (cmd/stasisq's
// TestAsteriskWebRTCUnregistered checks what routing makes of it).
import { run, signIn, until, step, cue, USERS } from './lib.mjs';

await run('webrtc-unregistered', async (browser) => {
  const open = async () => {
    const page = await signIn(browser, USERS.alice, '/agent');
    await until('the phone to register', async () => (await page.getByTestId('phone-state').getAttribute('data-state')) === 'registered', 40_000);
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
  await cue('done');
});
