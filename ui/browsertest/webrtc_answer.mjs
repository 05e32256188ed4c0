// The console as the agent's phone, on a real Asterisk (driven by
// cmd/stasisq's TestAsteriskWebRTCAnswer): alice's phone registers, rings
// with the caller's number when the test queues a caller, she declines
// (the queue rings her again) and answers,
// audio flows both ways (getStats), she mutes (nothing more from her
// microphone) and unmutes, presses a key, holds (the caller hears music) and
// resumes (the music stops), and hangs up.
import { run, signIn, until, assert, log, screenshot, step, cue, USERS } from './lib.mjs';

await run('webrtc-answer', async (browser) => {
  const alice = await signIn(browser, USERS.alice, '/agent');
  const state = () => alice.getByTestId('phone-state').getAttribute('data-state');
  await until('the phone to register', async () => (await state()) === 'registered', 40_000);
  step('registered');
  await cue('calling');
  await until('the phone to ring', async () => (await state()) === 'ringing', 40_000);
  const who = await alice.getByTestId('phone-caller').textContent();
  log(`ringing: ${who}`);
  assert(who.includes(process.env.STASISQ_CALLER_NUMBER || ''), `the phone shows ${who}, not the caller's number`);
  await screenshot(alice, 'phone-ringing');
  // She declines the first ring; the queue rings her again.
  await alice.getByTestId('phone-decline').click();
  await until('the phone to stop ringing', async () => (await state()) === 'registered');
  step('declined');
  await until('the phone to ring again', async () => (await state()) === 'ringing', 40_000);
  await alice.getByTestId('phone-answer').click();
  await until('the call to be up', async () => (await state()) === 'incall');
  step('answered');
  const stats = () => alice.evaluate(() => window.stasisqPhone.stats());
    // The caller speaks for a moment: the loudest it was counts.
  let heard = 0;
  const flowing = await until('audio both ways', async () => {
    const s = await stats();
    heard = Math.max(heard, s?.audioLevel || 0);
    return s && s.inboundPackets > 100 && s.outboundPackets > 100 && heard > 0 ? { ...s, audioLevel: heard } : false;
  }, 20_000);
  log(`media: ${JSON.stringify(flowing)}`);
  step('media', flowing);

  // Muted, nothing of the microphone goes out: its level in the sender's
  // stats falls to silence (under 1 % of full scale: the stat decays, it
  // does not jump to 0) and stays there; unmuted it comes back.
  const micPeak = async (ms) => {
    let peak = 0;
    for (const end = Date.now() + ms; Date.now() < end;) {
      peak = Math.max(peak, (await stats()).micLevel);
      await new Promise((r) => setTimeout(r, 200));
    }
    return peak;
  };
  const before = await micPeak(2500);
  await alice.getByTestId('phone-mute').click();
  await new Promise((r) => setTimeout(r, 1000));
  const muted = await micPeak(2500);
  await alice.getByTestId('phone-mute').click();
  const after = await micPeak(2500);
  log(`microphone level: before ${before}, muted ${muted}, unmuted ${after}`);
  assert(before > 0 && after > 0, `the fake microphone is silent (before ${before}, after ${after})`);
  assert(muted < 0.01, `muted, the microphone still sends level ${muted}`);
  step('mute', { before, muted, after });
  await alice.getByTestId('phone-keypad-toggle').click();
  await alice.getByTestId('phone-dtmf-5').click();
  step('dtmf', '5');
  await cue('dtmf-checked');
  // Muted through the hold and after it, so that what the caller hears
  // while held can only be Asterisk's music, and after it silence.
  await alice.getByTestId('phone-mute').click();
  await alice.getByTestId('phone-hold').click();
  await until('the hold to take', async () => (await alice.getByTestId('phone-hold').getAttribute('aria-pressed')) === 'true');
  step('held');
  await cue('hold-checked');
  await alice.getByTestId('phone-hold').click();
  await until('the call to resume', async () => (await alice.getByTestId('phone-hold').getAttribute('aria-pressed')) === 'false');
  step('resumed');
  await cue('resume-checked');
  await alice.getByTestId('phone-mute').click();

  await alice.getByTestId('phone-hangup').click();
  await until('the phone to be ready again', async () => (await state()) === 'registered');
  step('hung-up');
});
