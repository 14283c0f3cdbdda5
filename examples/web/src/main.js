// The demo page: wires the DOM to the Phone (phone.js) and publishes its state on
// `window.sbcDemo` so tests and curious users can read it from the console.
import { DEMO_DEFAULTS, readOptions } from './config.js';
import { enableSipDebug, Phone } from './phone.js';
import { startMeter } from './meter.js';
import { emptyStats, pollStats } from './stats.js';

const $ = (id) => document.getElementById(id);
const opts = readOptions(window.location);
if (opts.debug) enableSipDebug();

/** State for tests and the console; updated in place, never replaced. */
const state = {
  mode: opts.mode,
  connection: 'off',
  connected: false,
  registered: false,
  registration: 'off',
  callState: 'idle',
  direction: '',
  peer: '',
  muted: false,
  lastError: '',
  errors: [],
  dtmfSent: '',
  micLevel: 0,
  /** Highest microphone level seen during the current call (the fake test device beeps). */
  micPeak: 0,
  stats: emptyStats(),
};
window.sbcDemo = state;

const CALL_LABELS = {
  idle: 'Idle',
  calling: 'Calling…',
  ringing: 'Ringing…',
  incoming: 'Incoming call',
  answered: 'Connecting media…',
  'in-call': 'In call',
  ended: 'Call ended',
  failed: 'Call failed',
};

let stopStats = () => {};
let stopMeter = () => {};
let callStartedAt = 0;
let timer = 0;

function showError(message) {
  state.lastError = message;
  state.errors.push(message);
  const box = $('message');
  box.textContent = message;
  box.dataset.kind = 'error';
  box.hidden = false;
}

function showInfo(message) {
  const box = $('message');
  box.textContent = message;
  box.dataset.kind = 'info';
  box.hidden = false;
}

function clearMessage() {
  $('message').hidden = true;
}

function setBadge(id, kind, text) {
  const el = $(id);
  el.dataset.state = kind;
  el.textContent = text;
}

const phone = new Phone({
  onConnection(s) {
    state.connection = s;
    state.connected = s === 'connected';
    const labels = { off: 'Not connected', connecting: 'Connecting…', connected: 'Connected', disconnected: 'Disconnected' };
    const kinds = { off: 'off', connecting: 'pending', connected: 'ok', disconnected: 'bad' };
    setBadge('conn-status', kinds[s], labels[s]);
    if (s === 'connected' && state.lastError.startsWith('Cannot reach the SBC')) clearMessage();
    updateButtons();
  },
  onRegistration(s) {
    state.registration = s;
    state.registered = s === 'registered';
    const labels = { off: 'Not registered', registered: `Registered as ${$('sip-user').value}`, unregistered: 'Not registered', failed: 'Registration failed' };
    const kinds = { off: 'off', registered: 'ok', unregistered: 'off', failed: 'bad' };
    setBadge('reg-status', kinds[s], labels[s]);
    if (s === 'registered' && state.registration === 'registered' && !phone.inCall) clearMessage();
    updateButtons();
  },
  onCall(s, info = {}) {
    state.callState = s;
    if (info.peer !== undefined) state.peer = info.peer;
    if (info.direction) state.direction = info.direction;
    const out = $('call-state');
    out.dataset.state = s;
    out.textContent = CALL_LABELS[s] || s;
    $('call-peer').textContent = state.peer ? `· ${state.peer}` : '';
    if (s === 'calling' || s === 'incoming') {
      if (s === 'calling') clearMessage();
      state.dtmfSent = '';
      state.micPeak = 0;
      $('dtmf-sent').textContent = '–';
      state.muted = false;
    }
    if (s === 'answered' || s === 'in-call') $('incoming').hidden = true;
    if (s === 'in-call' && !callStartedAt) startTimer();
    if (s === 'ended' || s === 'failed') {
      stopTimer();
      $('incoming').hidden = true;
      state.muted = false;
      if (s === 'ended') {
        const who = info.originator === 'remote' ? 'The other side hung up.' : 'Call ended.';
        if (!$('message').hidden && $('message').dataset.kind === 'error') {
          // Keep an error on screen.
        } else {
          showInfo(who);
        }
      }
    }
    updateButtons();
  },
  onIncoming(from) {
    $('incoming-from').textContent = from;
    $('incoming').hidden = false;
    if (opts.autoAnswer) phone.answer();
  },
  onStream(stream) {
    const audio = $('remote-audio');
    audio.srcObject = stream;
    audio.play().catch(() => {
      // Autoplay can be refused without a gesture; the call still runs and stats still flow.
    });
  },
  onLocalStream(stream) {
    stopMeter();
    stopMeter = () => {};
    if (stream) {
      stopMeter = startMeter(stream, (level) => {
        state.micLevel = level;
        state.micPeak = Math.max(state.micPeak, level);
        $('mic-meter').value = level;
        $('mic-meter').textContent = `${Math.round(level * 100)}%`;
      });
    }
  },
  onPeerConnection(pc) {
    stopStats();
    stopStats = () => {};
    if (pc) stopStats = pollStats(pc, showStats);
  },
  onError: showError,
  onInfo: showInfo,
});

// Read live: the browser drains the queue as it plays the tones.
Object.defineProperty(state, 'dtmfQueue', { enumerable: true, get: () => phone.dtmfQueue() });

function showStats(s) {
  state.stats = s;
  const num = (v) => (v === null || v === undefined ? '–' : v.toLocaleString('en'));
  const ms = (v) => (v === null ? '–' : `${v.toFixed(1)} ms`);
  $('stat-packets-received').textContent = num(s.packetsReceived);
  $('stat-packets-sent').textContent = num(s.packetsSent);
  $('stat-packets-lost').textContent = num(s.packetsLost);
  $('stat-jitter').textContent = ms(s.jitterMs);
  $('stat-rtt').textContent = ms(s.roundTripMs);
  $('stat-audio-level').textContent = s.audioLevel ? s.audioLevel.toFixed(3) : '0';
  $('stat-codec').textContent = s.codec || '–';
  $('stat-dtls').textContent = s.dtlsState || '–';
  $('stat-pair').textContent = s.candidatePair || '–';
}

function startTimer() {
  callStartedAt = Date.now();
  timer = setInterval(() => {
    const secs = Math.floor((Date.now() - callStartedAt) / 1000);
    $('call-timer').textContent = `${String(Math.floor(secs / 60)).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}`;
  }, 500);
}

function stopTimer() {
  clearInterval(timer);
  callStartedAt = 0;
}

function updateButtons() {
  const active = phone.inCall;
  const established = active && state.callState === 'in-call';
  const ua = phone.ua !== null;
  $('connect-btn').disabled = false;
  $('connect-btn').textContent = ua && state.registration === 'failed' ? 'Register again' : 'Register';
  $('disconnect-btn').disabled = !ua;
  $('call-btn').disabled = active || !state.connected;
  $('hangup-btn').disabled = !active;
  $('mute-btn').disabled = !established;
  $('mute-btn').setAttribute('aria-pressed', String(state.muted));
  $('mute-btn').textContent = state.muted ? 'Unmute' : 'Mute';
  document.querySelectorAll('.keypad button').forEach((b) => {
    b.disabled = !established;
  });
  const c2c = $('c2c-btn');
  c2c.textContent = active ? 'Hang up' : 'Call now';
  c2c.classList.toggle('btn-hangup', active);
  c2c.classList.toggle('btn-call', !active);
}

function settings() {
  return {
    wsUrl: $('ws-url').value.trim(),
    user: $('sip-user').value.trim(),
    password: $('sip-password').value,
    domain: $('sip-domain').value.trim(),
  };
}

function initSoftphone() {
  $('ws-url').value = opts.wsUrl;
  $('sip-user').value = opts.user;
  $('sip-password').value = DEMO_DEFAULTS.password;
  $('sip-domain').value = opts.domain;
  $('dial-input').value = opts.to;

  $('settings-form').addEventListener('submit', (e) => {
    e.preventDefault();
    clearMessage();
    const s = settings();
    if (!s.user) {
      showError('Enter a user name.');
      return;
    }
    phone.start({ ...s, displayName: s.user === DEMO_DEFAULTS.user ? DEMO_DEFAULTS.displayName : '', register: true });
    updateButtons();
  });
  $('disconnect-btn').addEventListener('click', () => {
    phone.stop();
    clearMessage();
    updateButtons();
  });
  const dial = () => phone.call($('dial-input').value.trim() || DEMO_DEFAULTS.dialTarget);
  $('call-btn').addEventListener('click', dial);
  $('dial-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !phone.inCall) dial();
  });
}

function initClickToCall() {
  document.body.classList.replace('mode-softphone', 'mode-click-to-call');
  document.title = 'Call us · sbcctl demo';
  $('c2c-target').textContent = opts.to;
  $('c2c-btn').addEventListener('click', () => {
    if (phone.inCall) {
      phone.hangup();
      return;
    }
    clearMessage();
    // No registration: connect, then call once the WebSocket is open.
    if (!phone.ua) {
      phone.start({
        wsUrl: opts.wsUrl,
        user: DEMO_DEFAULTS.clickToCallUser,
        password: '',
        domain: opts.domain,
        displayName: DEMO_DEFAULTS.clickToCallDisplayName,
        register: false,
      });
    }
    whenConnected(() => phone.call(opts.to));
  });
}

/** Runs `fn` once the UA's WebSocket is open; gives up with a message after 10 s. */
function whenConnected(fn) {
  if (state.connected) {
    fn();
    return;
  }
  state.callState = 'calling';
  $('call-state').textContent = 'Connecting…';
  // One attempt at a time: the button comes back when this one ends.
  $('c2c-btn').disabled = true;
  const started = Date.now();
  const poll = setInterval(() => {
    if (state.connected) {
      clearInterval(poll);
      $('c2c-btn').disabled = false;
      fn();
    } else if (Date.now() - started > 10000 || !phone.ua) {
      clearInterval(poll);
      $('c2c-btn').disabled = false;
      state.callState = 'failed';
      $('call-state').textContent = CALL_LABELS.failed;
      if (!state.lastError) showError(`Cannot reach the SBC at ${opts.wsUrl}.`);
    }
  }, 100);
}

function initCommon() {
  $('hangup-btn').addEventListener('click', () => phone.hangup());
  $('answer-btn').addEventListener('click', () => phone.answer());
  $('decline-btn').addEventListener('click', () => phone.hangup());
  $('mute-btn').addEventListener('click', () => {
    state.muted = phone.toggleMute();
    updateButtons();
  });
  document.querySelectorAll('.keypad button').forEach((b) => {
    b.addEventListener('click', () => sendTone(b.dataset.tone));
  });
  document.addEventListener('keydown', (e) => {
    if (state.callState !== 'in-call' || e.target instanceof HTMLInputElement) return;
    if (/^[0-9*#]$/.test(e.key)) sendTone(e.key);
  });
  window.addEventListener('beforeunload', () => phone.stop());
}

function sendTone(tone) {
  if (phone.sendDtmf(tone)) {
    state.dtmfSent += tone;
    $('dtmf-sent').textContent = state.dtmfSent;
  }
}

initCommon();
if (opts.mode === 'click-to-call') initClickToCall();
else initSoftphone();
updateButtons();
