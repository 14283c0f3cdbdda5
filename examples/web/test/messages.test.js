import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callFailedMessage, disconnectedMessage, microphoneMessage, registrationFailedMessage } from '../src/messages.js';

const res = (status_code, reason_phrase) => ({ status_code, reason_phrase });

test('wrong password, by status or by cause', () => {
  assert.match(registrationFailedMessage('Authentication Error', res(401, 'Unauthorized')), /^Wrong user name or password.*\(401 Unauthorized\)/);
  assert.match(registrationFailedMessage('Rejected', res(403, 'Forbidden')), /Wrong user name or password.*403 Forbidden/);
  assert.match(registrationFailedMessage('Authentication Error', null), /^Wrong user name or password/);
  assert.match(registrationFailedMessage('Connection Error', null), /WebSocket connection/);
  assert.match(registrationFailedMessage('SIP Failure Code', res(500, 'Server Error')), /500 Server Error/);
});

test('call failures name the number and the status', () => {
  assert.equal(callFailedMessage('Not Found', res(404, 'Not Found'), 'no-such'), 'Unknown number: "no-such" does not exist on the SBC (404).');
  assert.match(callFailedMessage('Busy', res(486, 'Busy Here'), '600'), /^"600" is busy \(486\)/);
  assert.match(callFailedMessage('Incompatible SDP', res(488, 'x'), 'echo'), /no common audio codec/);
  assert.match(callFailedMessage('User Denied Media Access', null, 'echo'), /Microphone access was denied/);
  assert.match(callFailedMessage('SIP Failure Code', res(503, 'Service Unavailable'), 'x'), /503 Service Unavailable/);
});

test('microphone errors by DOMException name', () => {
  assert.match(microphoneMessage({ name: 'NotAllowedError' }), /denied/);
  assert.match(microphoneMessage({ name: 'NotFoundError' }), /No microphone/);
  assert.match(microphoneMessage({ name: 'NotReadableError' }), /in use/);
  assert.match(microphoneMessage({ name: 'TypeError' }), /https:/);
});

test('a closed WebSocket names the URL and the close code', () => {
  const m = disconnectedMessage('ws://127.0.0.1:8080/', { code: 1006 });
  assert.ok(m.includes('ws://127.0.0.1:8080/'));
  assert.ok(m.includes('1006'));
});
