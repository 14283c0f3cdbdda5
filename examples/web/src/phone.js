// A thin wrapper around one JsSIP user agent and at most one call. It owns the SIP side
// (WebSocket, registration, sessions) and the local microphone stream; the page (main.js)
// owns the DOM and listens to the callbacks below.
import JsSIP from 'jssip';
import { hostOf, toUri } from './sip-address.js';
import { callFailedMessage, disconnectedMessage, microphoneMessage, registrationFailedMessage } from './messages.js';

/** Peer-connection settings: sbcctl is ICE-lite with host candidates, so no STUN/TURN. */
const PC_CONFIG = { iceServers: [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' };

/** Logs every SIP message and JsSIP event to the browser console (`?debug=1`). */
export function enableSipDebug() {
  JsSIP.debug.enable('JsSIP:*');
}

export class Phone {
  /**
   * @param {object} hooks callbacks: onConnection(state), onRegistration(state), onCall(state, info),
   *   onIncoming(from), onStream(remoteStream), onLocalStream(stream|null), onPeerConnection(pc|null),
   *   onError(message), onInfo(message)
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.ua = null;
    this.session = null;
    this.localStream = null;
    this.wsUrl = '';
    this.target = '';
  }

  /**
   * Starts a user agent. `register` false is click-to-call: the UA only connects and calls.
   */
  start({ wsUrl, user, password, domain, displayName, register }) {
    this.stop();
    this.wsUrl = wsUrl;
    const host = domain || hostOf(wsUrl);
    this.domain = host;
    let socket;
    try {
      socket = new JsSIP.WebSocketInterface(wsUrl);
    } catch (err) {
      this.hooks.onError(`The SBC WebSocket URL is not valid: ${wsUrl} (${err.message}).`);
      return false;
    }
    let ua;
    try {
      ua = new JsSIP.UA({
        sockets: [socket],
        uri: `sip:${user}@${host}`,
        password: password || undefined,
        display_name: displayName || undefined,
        register,
        register_expires: 300,
        session_timers: false,
        user_agent: 'sbcctl-demo (JsSIP)',
        connection_recovery_min_interval: 2,
        connection_recovery_max_interval: 30,
      });
    } catch (err) {
      this.hooks.onError(`The account settings are not valid: ${err.message}.`);
      return false;
    }
    this.ua = ua;
    ua.on('connecting', () => this.hooks.onConnection('connecting'));
    ua.on('connected', () => this.hooks.onConnection('connected'));
    ua.on('disconnected', (e) => {
      if (this.ua !== ua) return;
      this.hooks.onConnection('disconnected');
      this.hooks.onError(disconnectedMessage(wsUrl, e));
    });
    ua.on('registered', () => this.hooks.onRegistration('registered'));
    ua.on('unregistered', () => this.hooks.onRegistration('unregistered'));
    ua.on('registrationFailed', (e) => {
      this.hooks.onRegistration('failed');
      this.hooks.onError(registrationFailedMessage(e.cause, e.response));
    });
    ua.on('newRTCSession', (e) => this.onNewSession(e));
    ua.start();
    return true;
  }

  /** Registers again with the current UA (after a failure, for example). */
  register() {
    if (this.ua) this.ua.register();
  }

  /** Ends any call and stops the user agent (unregistering first when registered). */
  stop() {
    this.hangup();
    if (this.ua) {
      const ua = this.ua;
      this.ua = null;
      ua.stop();
      this.hooks.onConnection('off');
      this.hooks.onRegistration('off');
    }
  }

  get inCall() {
    return this.session !== null;
  }

  /** Places a call to a number, a user name or a full SIP URI. */
  async call(target) {
    if (!this.ua) {
      this.hooks.onError('Connect to the SBC first.');
      return;
    }
    if (this.session) {
      this.hooks.onError('A call is already in progress.');
      return;
    }
    if (!this.ua.isConnected()) {
      this.hooks.onError(`Not connected to the SBC at ${this.wsUrl} yet.`);
      return;
    }
    const uri = toUri(target, this.domain);
    if (!uri) {
      this.hooks.onError(`"${target}" is not a number or SIP address.`);
      return;
    }
    this.target = target;
    this.hooks.onCall('calling', { peer: target, direction: 'outgoing' });
    const stream = await this.microphone();
    if (!stream) {
      this.hooks.onCall('failed', { peer: target });
      return;
    }
    try {
      this.ua.call(uri, {
        mediaStream: stream,
        pcConfig: PC_CONFIG,
        rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
      });
    } catch (err) {
      this.releaseMicrophone();
      this.hooks.onError(`The call could not start: ${err.message}.`);
      this.hooks.onCall('failed', { peer: target });
    }
  }

  /** Answers the ringing incoming call. */
  async answer() {
    const session = this.session;
    if (!session || session.direction !== 'incoming' || session.isEstablished()) return;
    const stream = await this.microphone();
    if (!stream) {
      if (this.session === session) session.terminate({ status_code: 480 });
      return;
    }
    if (this.session !== session || session.isEnded()) {
      this.releaseMicrophone();
      return;
    }
    session.answer({ mediaStream: stream, pcConfig: PC_CONFIG });
  }

  /** Hangs up, cancels or declines the current call. */
  hangup() {
    const session = this.session;
    if (!session) return;
    try {
      if (!session.isEnded()) {
        session.terminate(session.direction === 'incoming' && !session.isEstablished() ? { status_code: 486 } : {});
      }
    } catch {
      // Already terminated by the other side; the 'ended'/'failed' handler cleans up.
    }
  }

  /** Mutes or unmutes the microphone; returns the new muted state. */
  toggleMute() {
    const session = this.session;
    if (!session || !session.isEstablished()) return false;
    if (session.isMuted().audio) {
      session.unmute({ audio: true });
      return false;
    }
    session.mute({ audio: true });
    return true;
  }

  /** Sends one DTMF tone as an RFC 4733 telephone-event in the media path. */
  sendDtmf(tone) {
    const session = this.session;
    if (!session || !session.isEstablished()) return false;
    try {
      session.sendDTMF(tone, { transportType: JsSIP.C.DTMF_TRANSPORT.RFC2833, duration: 160, interToneGap: 70 });
      return true;
    } catch (err) {
      this.hooks.onError(`DTMF could not be sent: ${err.message}.`);
      return false;
    }
  }

  /** Tones still queued in the browser's RTCDTMFSender ('' once all were played). */
  dtmfQueue() {
    const pc = this.session && this.session.connection;
    if (!pc) return '';
    const sender = pc.getSenders().find((x) => x.track && x.track.kind === 'audio');
    return sender && sender.dtmf ? sender.dtmf.toneBuffer : '';
  }

  onNewSession({ session, originator, request }) {
    if (this.session) {
      // One call at a time: a second incoming call is busy.
      if (originator === 'remote') session.terminate({ status_code: 486 });
      return;
    }
    this.session = session;
    const incoming = originator === 'remote';
    const peer = incoming ? describeCaller(request) : this.target;
    session.on('peerconnection', (e) => this.watchPeerConnection(e.peerconnection));
    if (session.connection) this.watchPeerConnection(session.connection);
    session.on('progress', () => {
      if (!incoming) this.hooks.onCall('ringing', { peer, direction: 'outgoing' });
    });
    session.on('accepted', () => this.hooks.onCall('answered', { peer }));
    session.on('confirmed', () => this.hooks.onCall('in-call', { peer }));
    session.on('ended', (e) => this.finish(session, 'ended', { peer, cause: e.cause, originator: e.originator }));
    session.on('failed', (e) => {
      const silent = e.cause === JsSIP.C.causes.CANCELED && e.originator === 'local';
      if (!silent) this.hooks.onError(callFailedMessage(e.cause, e.message, peer));
      this.finish(session, 'failed', { peer, cause: e.cause });
    });
    if (incoming) {
      this.hooks.onCall('incoming', { peer, direction: 'incoming' });
      this.hooks.onIncoming(peer);
    }
  }

  watchPeerConnection(pc) {
    if (this.watched === pc) return;
    this.watched = pc;
    this.hooks.onPeerConnection(pc);
    pc.addEventListener('track', (e) => {
      const stream = e.streams && e.streams[0] ? e.streams[0] : new MediaStream([e.track]);
      this.hooks.onStream(stream);
    });
  }

  finish(session, state, info) {
    if (this.session !== session) return;
    this.session = null;
    this.watched = null;
    this.releaseMicrophone();
    this.hooks.onPeerConnection(null);
    this.hooks.onCall(state, info);
  }

  async microphone() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      this.hooks.onError(microphoneMessage({ name: 'TypeError' }));
      return null;
    }
    try {
      this.localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      this.hooks.onLocalStream(this.localStream);
      return this.localStream;
    } catch (err) {
      this.hooks.onError(microphoneMessage(err));
      return null;
    }
  }

  releaseMicrophone() {
    if (this.localStream) {
      this.localStream.getTracks().forEach((t) => t.stop());
      this.localStream = null;
      this.hooks.onLocalStream(null);
    }
  }
}

function describeCaller(request) {
  try {
    const from = request.from;
    const name = from.display_name;
    const user = from.uri.user;
    return name ? `${name} <${user}>` : user;
  } catch {
    return 'unknown caller';
  }
}
