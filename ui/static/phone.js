// The browser phone: the console is the agent's (or supervisor's) phone,
// SIP over websocket to Asterisk with SIP.js (vendor/sip.js, copied in by
// make vendor; nothing from a CDN). One component for every view: app.js
// mounts it once per page.
//
// It registers with the account GET /api/me/phone hands this session
// alone, rings (a tone, the caller's name and number) when stasisq offers a
// call, and answers, declines, hangs up, mutes, holds (Asterisk plays the
// caller music on hold) and sends DTMF. One tab per user holds the phone
// (Web Locks): a second tab waits and takes over when the first closes, so
// it neither steals nor doubles the registration. A dropped network is
// retried every few seconds and shown.
import { get } from './api.js';
import { h, replace, clock } from './util.js';

const STATE_TEXT = {
  off: 'No phone', connecting: 'Connecting…', registered: 'Phone ready', unregistered: 'Phone offline',
  reconnecting: 'Reconnecting…', ringing: 'Ringing', incall: 'On a call', other_tab: 'Phone open in another tab',
  error: 'Phone error',
};

export async function mountPhone(root) {
  const pill = h('span', { class: 'phone-state', 'data-testid': 'phone-state', 'data-state': 'connecting' }, STATE_TEXT.connecting);
  const detail = h('p', { class: 'muted phone-detail', 'data-testid': 'phone-detail' });
  const caller = h('p', { class: 'phone-caller', 'data-testid': 'phone-caller' });
  const timer = h('span', { class: 'phone-timer', 'data-testid': 'phone-timer' });
  const meter = h('meter', { class: 'phone-meter', min: '0', max: '1', value: '0', 'aria-label': 'Microphone level', 'data-testid': 'phone-mic-level' });
  const controls = h('div', { class: 'phone-controls' });
  const keypad = h('div', { class: 'phone-keypad', hidden: true, 'aria-label': 'Keypad' });
  const mic = h('select', { 'aria-label': 'Microphone', 'data-testid': 'phone-mic' });
  const speaker = h('select', { 'aria-label': 'Speaker', 'data-testid': 'phone-speaker' });
  const audio = h('audio', { autoplay: true, 'data-testid': 'phone-audio' });
  const box = h('section', { class: 'phone card', 'aria-label': 'Phone', 'data-testid': 'phone' },
    h('div', { class: 'phone-head' }, h('strong', {}, 'Phone'), ' ', pill, ' ', timer), detail, caller, controls, keypad,
    h('details', { class: 'phone-devices' }, h('summary', {}, 'Audio devices'),
      h('label', {}, 'Microphone ', mic), h('label', {}, ' Speaker ', speaker), h('label', {}, ' Level ', meter)),
    audio);
  replace(root, box);
  root.hidden = false;

  const setState = (state, text) => {
    pill.dataset.state = state;
    pill.textContent = STATE_TEXT[state] || state;
    box.dataset.state = state;
    detail.textContent = text || '';
  };

  let account;
  try {
    account = await get('/api/me/phone');
  } catch (e) {
    setState('error', `Cannot load the phone: ${e.message}`);
    return;
  }
  if (!account.enabled) {
    setState('off', account.reason);
    return;
  }
  if (!navigator.mediaDevices || !window.RTCPeerConnection) {
    setState('error', 'This browser cannot make calls (no WebRTC here: use https or localhost)');
    return;
  }
  // One tab per user holds the phone; the others wait their turn.
  const lockName = `stasisq-phone:${account.username}`;
  const start = () => new Promise((release) => { runPhone(account, { setState, caller, timer, meter, controls, keypad, mic, speaker, audio, release }); });
  if (navigator.locks) {
    const got = await navigator.locks.request(lockName, { ifAvailable: true }, async (lock) => {
      if (!lock) return false;
      await start();
      return true;
    });
    if (!got) {
      setState('other_tab', 'Calls ring in your other tab; this one takes over when it closes.');
      navigator.locks.request(lockName, () => start());
    }
  } else {
    start();
  }
}

async function runPhone(account, ui) {
  const { setState, caller, timer, meter, controls, keypad, mic, speaker, audio } = ui;
  const { Web } = await import('./vendor/sip.js/lib/index.js');
  let inCallSince = 0;
  let tick = null;
  let ring = null;
  let levelStop = null;

  const user = new Web.SimpleUser(account.websocket_url, {
    aor: account.uri,
    media: { constraints: { audio: true, video: false }, remote: { audio } },
    reconnectionAttempts: 1_000_000,
    reconnectionDelay: 4,
    registererOptions: { expires: 60 },
    userAgentOptions: {
      authorizationUsername: account.username,
      authorizationPassword: account.password,
      displayName: account.display_name,
      logLevel: 'warn',
      sessionDescriptionHandlerFactoryOptions: { iceGatheringTimeout: 1000 },
    },
    delegate: {
      onServerConnect: () => { setState('connecting'); register(); },
      onServerDisconnect: () => { if (!inCallSince) setState('reconnecting', 'The connection to the phone server dropped: no calls are offered to you until it is back; trying again every few seconds.'); },
      onRegistered: () => { if (!inCallSince && !ring) setState('registered', `Calls ring here (${account.username}).`); },
      // A dropped connection unregisters too: say what the agent can wait
      // for (the phone reconnects by itself), not only that it is off.
      onUnregistered: () => {
        if (inCallSince) return;
        if (user.isConnected()) setState('unregistered', 'Not registered: no calls are offered to you.');
        else setState('reconnecting', 'The connection to the phone server dropped: no calls are offered to you until it is back; trying again every few seconds.');
      },
      onCallReceived: () => incoming(),
      onCallAnswered: () => answered(),
      onCallHangup: () => ended(),
      onCallHold: (held) => { holdBtn.textContent = held ? 'Resume' : 'Hold'; holdBtn.setAttribute('aria-pressed', String(held)); },
    },
  });
  // Tests and the call-quality line read the media through this.
  window.stasisqPhone = {
    state: () => document.querySelector('[data-testid="phone-state"]')?.dataset.state,
    stats: async () => {
      const pc = user.session?.sessionDescriptionHandler?.peerConnection;
      if (!pc) return null;
      const out = { inboundPackets: 0, outboundPackets: 0, audioLevel: 0, micLevel: 0 };
      (await pc.getStats()).forEach((r) => {
        if (r.type === 'inbound-rtp' && r.kind === 'audio') { out.inboundPackets += r.packetsReceived || 0; out.audioLevel = Math.max(out.audioLevel, r.audioLevel || 0); }
        if (r.type === 'outbound-rtp' && r.kind === 'audio') out.outboundPackets += r.packetsSent || 0;
        if (r.type === 'media-source' && r.kind === 'audio') out.micLevel = Math.max(out.micLevel, r.audioLevel || 0);
      });
      return out;
    },
  };

  const btn = (label, testid, onclick, cls = '') => h('button', { type: 'button', class: cls, 'data-testid': testid, onclick }, label);
  const answerBtn = btn('Answer', 'phone-answer', () => user.answer(answerOptions()).catch(fail('Answer')), 'primary');
  // 603 Decline, which Asterisk reports as a rejected call (cause 21), so
  // the queue counts a refusal; SimpleUser's decline would send 480, which
  // reads as nobody there. No session: the caller went as she clicked.
  const declineBtn = btn('Decline', 'phone-decline', () => { stopRing(); user.session?.reject({ statusCode: 603 }).catch(fail('Decline')); });
  const hangupBtn = btn('Hang up', 'phone-hangup', () => user.hangup().catch(fail('Hang up')), 'danger');
  const muteBtn = btn('Mute', 'phone-mute', () => {
    if (user.isMuted()) user.unmute(); else user.mute();
    muteBtn.textContent = user.isMuted() ? 'Unmute' : 'Mute';
    muteBtn.setAttribute('aria-pressed', String(user.isMuted()));
  });
  const holdBtn = btn('Hold', 'phone-hold', () => (user.isHeld() ? user.unhold() : user.hold()).catch(fail('Hold')));
  const padBtn = btn('Keypad', 'phone-keypad-toggle', () => { keypad.hidden = !keypad.hidden; });
  replace(keypad, ...'123456789*0#'.split('').map((d) => btn(d, `phone-dtmf-${d === '*' ? 'star' : d === '#' ? 'hash' : d}`, () => user.sendDTMF(d).catch(fail('Keypad')))));

  function fail(what) { return (e) => setState(inCallSince ? 'incall' : 'error', `${what}: ${e.message || e}`); }
  function answerOptions() {
    const deviceId = mic.value;
    return { sessionDescriptionHandlerOptions: { constraints: { audio: deviceId ? { deviceId: { exact: deviceId } } : true, video: false } } };
  }
  async function register() {
    try { await user.register(); } catch (e) { setState('unregistered', `Registration failed: ${e.message || e}`); }
  }
  function incoming() {
    const who = user.session?.remoteIdentity;
    const name = who?.displayName || '';
    const number = who?.uri?.user || '';
    caller.textContent = [name, number].filter(Boolean).join(' · ') || 'Unknown caller';
    setState('ringing');
    replace(controls, answerBtn, declineBtn);
    startRing();
    // Auto-answer: the agent's own (Admin > Users), or the queue's, which
    // stasisq puts in the INVITE; with both, the shorter. The agent hears
    // the ring, then the call.
    const fromQueue = Number(user.session?.request?.getHeader?.('X-Stasisq-Answer-After')) || 0;
    const after = [account.auto_answer || 0, fromQueue].filter((s) => s > 0);
    if (after.length) {
      const session = user.session;
      setTimeout(() => { if (user.session === session && ring) answerBtn.click(); }, Math.min(...after) * 1000);
    }
  }
  function answered() {
    stopRing();
    inCallSince = Date.now();
    setState('incall');
    replace(controls, hangupBtn, muteBtn, holdBtn, padBtn);
    tick = setInterval(() => { timer.textContent = clock(Date.now() - inCallSince); }, 500);
    levelStop = micLevel(user.localMediaStream, meter);
    if (speaker.value && audio.setSinkId) audio.setSinkId(speaker.value).catch(() => {});
  }
  function ended() {
    stopRing();
    clearInterval(tick);
    if (levelStop) levelStop();
    inCallSince = 0;
    timer.textContent = '';
    caller.textContent = '';
    keypad.hidden = true;
    muteBtn.textContent = 'Mute';
    holdBtn.textContent = 'Hold';
    replace(controls);
    setState(user.isConnected() ? 'registered' : 'reconnecting');
  }
  function startRing() {
    stopRing();
    try {
      const ctx = new AudioContext();
      const gain = ctx.createGain();
      gain.gain.value = 0;
      gain.connect(ctx.destination);
      for (const f of [440, 480]) { const o = ctx.createOscillator(); o.frequency.value = f; o.connect(gain); o.start(); }
      // The North American ring: 2 s on, 4 s off.
      const cadence = () => { gain.gain.setValueAtTime(0.08, ctx.currentTime); gain.gain.setValueAtTime(0, ctx.currentTime + 2); };
      cadence();
      const every = setInterval(cadence, 6000);
      ring = () => { clearInterval(every); ctx.close(); };
    } catch { ring = () => {}; }
  }
  function stopRing() { if (ring) ring(); ring = null; }

  async function listDevices() {
    try {
      const devs = await navigator.mediaDevices.enumerateDevices();
      const opts = (kind) => [h('option', { value: '' }, 'Default'), ...devs.filter((d) => d.kind === kind && d.deviceId && d.deviceId !== 'default').map((d) => h('option', { value: d.deviceId }, d.label || d.deviceId.slice(0, 8)))];
      replace(mic, ...opts('audioinput'));
      replace(speaker, ...opts('audiooutput'));
    } catch { /* no devices listed: the defaults are used */ }
  }
  navigator.mediaDevices.addEventListener?.('devicechange', listDevices);
  listDevices();

  // Leaving the page takes the phone off the server at once, so calls go to
  // others; a crash or lost network is found by Asterisk's qualify.
  addEventListener('pagehide', () => { user.unregister().catch(() => {}); user.disconnect().catch(() => {}); ui.release(); });
  // Screens change in the page (app.js); leaving the page itself ends the
  // call, so the browser asks first while one rings or is up.
  addEventListener('beforeunload', (ev) => { if (inCallSince || ring) { ev.preventDefault(); ev.returnValue = ''; } });
  const connect = async () => {
    try {
      await user.connect();
    } catch (e) {
      setState('reconnecting', `Cannot reach the phone server (${account.websocket_url}): ${e.message || e}; trying again.`);
      setTimeout(connect, 4000);
    }
  };
  connect();
}

// micLevel drives meter from the microphone's loudness; it returns a stop.
function micLevel(stream, meter) {
  if (!stream) return () => {};
  try {
    const ctx = new AudioContext();
    const an = ctx.createAnalyser();
    an.fftSize = 512;
    ctx.createMediaStreamSource(stream).connect(an);
    const buf = new Float32Array(an.fftSize);
    const every = setInterval(() => {
      an.getFloatTimeDomainData(buf);
      let sum = 0;
      for (const v of buf) sum += v * v;
      meter.value = Math.min(1, Math.sqrt(sum / buf.length) * 4);
    }, 100);
    return () => { clearInterval(every); ctx.close(); meter.value = 0; };
  } catch { return () => {}; }
}
