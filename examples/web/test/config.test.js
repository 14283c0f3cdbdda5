import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEMO_DEFAULTS, defaultClickToCallWsUrl, defaultWsUrl, readOptions } from '../src/config.js';

const loc = (href) => new URL(href);

test('the WebSocket URL defaults to the page origin', () => {
  assert.equal(defaultWsUrl(loc('http://127.0.0.1:8080/')), 'ws://127.0.0.1:8080/');
  assert.equal(defaultWsUrl(loc('https://sbc.example.com/phone/index.html')), 'wss://sbc.example.com/');
});

test('defaults are the quickstart demo account', () => {
  const o = readOptions(loc('http://127.0.0.1:8080/'));
  assert.deepEqual(o, {
    mode: 'softphone',
    wsUrl: 'ws://127.0.0.1:8080/',
    user: DEMO_DEFAULTS.user,
    domain: '',
    to: 'echo',
    autoAnswer: false,
    debug: false,
  });
  assert.equal(DEMO_DEFAULTS.user, 'alice');
  assert.equal(DEMO_DEFAULTS.password, 'alice-demo-password');
});

test('query parameters override the defaults', () => {
  const o = readOptions(loc('http://h/?mode=click-to-call&to=600&ws=wss%3A%2F%2Fsbc%2Fsip&user=bob&domain=sbcctl.local&autoanswer=1'));
  assert.equal(o.mode, 'click-to-call');
  assert.equal(o.to, '600');
  assert.equal(o.wsUrl, 'wss://sbc/sip');
  assert.equal(o.user, 'bob');
  assert.equal(o.domain, 'sbcctl.local');
  assert.equal(o.autoAnswer, true);
  assert.equal(readOptions(loc('http://h/?mode=other&autoanswer=0')).mode, 'softphone');
  assert.equal(readOptions(loc('http://h/?autoanswer=0')).autoAnswer, false);
});

test('click-to-call connects next to the page port unless told otherwise', () => {
  assert.equal(defaultClickToCallWsUrl(loc('http://127.0.0.1:8080/')), 'ws://127.0.0.1:8081/');
  assert.equal(defaultClickToCallWsUrl(loc('https://www.example.com/')), 'wss://www.example.com:444/');
  assert.equal(readOptions(loc('http://127.0.0.1:8080/?mode=click-to-call')).wsUrl, 'ws://127.0.0.1:8081/');
  assert.equal(readOptions(loc('http://127.0.0.1:8080/?mode=click-to-call&ws=ws%3A%2F%2Fx%2F')).wsUrl, 'ws://x/');
});
