// Plain-language messages for every failure the page can hit. JsSIP reports failures as a
// `cause` (JsSIP.C.causes) plus, for SIP failures, the response; the browser reports media
// failures as DOMException names. One function per source keeps the wording in one file.

/** Registration failed (JsSIP `registrationFailed`). */
export function registrationFailedMessage(cause, response) {
  const status = response ? response.status_code : 0;
  if (status === 401 || status === 407 || status === 403 || cause === 'Authentication Error' || cause === 'Rejected') {
    return 'Wrong user name or password: the SBC refused the registration'
      + (status ? ` (${status} ${response.reason_phrase || ''}`.trimEnd() + ')' : '')
      + '. Check the user and password in Settings.';
  }
  if (status === 404) {
    return 'Unknown user: the SBC does not know this user (404). Check the user and SIP domain in Settings.';
  }
  if (cause === 'Connection Error') {
    return 'Registration failed: the WebSocket connection to the SBC was lost.';
  }
  if (cause === 'Request Timeout') {
    return 'Registration failed: the SBC did not answer in time.';
  }
  return `Registration failed: ${describe(cause, response)}.`;
}

/** A call ended before or instead of being answered (JsSIP session `failed`). */
export function callFailedMessage(cause, response, target) {
  const status = response ? response.status_code : 0;
  const who = target ? `"${target}"` : 'the number';
  switch (cause) {
    case 'Not Found':
      return `Unknown number: ${who} does not exist on the SBC${status ? ` (${status})` : ''}.`;
    case 'Busy':
      return `${capitalise(who)} is busy${status ? ` (${status})` : ''}.`;
    case 'Unavailable':
      return `${capitalise(who)} is not reachable right now${status ? ` (${status})` : ''}.`;
    case 'Rejected':
      return `The call was refused${status ? ` (${status} ${response.reason_phrase || ''}`.trimEnd() + ')' : ''}.`;
    case 'Incompatible SDP':
      return 'The call failed: no common audio codec with the other side (488).';
    case 'Authentication Error':
      return 'The call was refused: wrong user name or password.';
    case 'Address Incomplete':
      return `${capitalise(who)} is incomplete.`;
    case 'No Answer':
      return `${capitalise(who)} did not answer.`;
    case 'Canceled':
      return 'The call was cancelled.';
    case 'User Denied Media Access':
      return microphoneMessage({ name: 'NotAllowedError' });
    case 'Connection Error':
      return 'The call failed: the WebSocket connection to the SBC was lost.';
    case 'Request Timeout':
      return 'The call failed: the SBC did not answer in time.';
    case 'RTP Timeout':
      return 'The call was dropped: no audio arrived from the other side.';
    default:
      return `The call failed: ${describe(cause, response)}.`;
  }
}

/** getUserMedia failed. */
export function microphoneMessage(err) {
  const name = err && err.name;
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return 'Microphone access was denied. Allow the microphone for this page in the browser'
      + "'s address bar, then try again.";
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return 'No microphone was found. Connect one and try again.';
  }
  if (name === 'NotReadableError') {
    return 'The microphone is in use by another application or could not be opened.';
  }
  if (name === 'TypeError' || typeof navigator === 'undefined' || !navigator.mediaDevices) {
    return 'This page cannot use the microphone here: browsers only allow it on https:// pages or on localhost.';
  }
  return `The microphone could not be opened (${name || 'unknown error'}).`;
}

/** The WebSocket closed or never opened (JsSIP `disconnected`). */
export function disconnectedMessage(wsUrl, event) {
  const code = event && event.code ? ` (close code ${event.code})` : '';
  return `Cannot reach the SBC at ${wsUrl}: the WebSocket closed${code}. `
    + 'Check that sbcctl is running and the address in Settings is right; retrying in the background.';
}

function describe(cause, response) {
  if (response && response.status_code) {
    return `${response.status_code} ${response.reason_phrase || ''}`.trim();
  }
  return cause ? String(cause).toLowerCase() : 'unknown reason';
}

function capitalise(s) {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
