import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostOf, toUri } from '../src/sip-address.js';

test('a number or name becomes a SIP URI at the domain', () => {
  assert.equal(toUri('echo', '127.0.0.1'), 'sip:echo@127.0.0.1');
  assert.equal(toUri('  600 ', 'sbc.example'), 'sip:600@sbc.example');
  assert.equal(toUri('john.doe', 'sbc.example'), 'sip:john.doe@sbc.example');
});

test('phone numbers lose their visual separators', () => {
  assert.equal(toUri('+1 (555) 010-0000', 'd'), 'sip:+15550100000@d');
  assert.equal(toUri('12#', 'd'), 'sip:12%23@d');
});

test('full addresses are kept', () => {
  assert.equal(toUri('sip:bob@pbx.example', 'd'), 'sip:bob@pbx.example');
  assert.equal(toUri('SIPS:bob@pbx.example', 'd'), 'SIPS:bob@pbx.example');
  assert.equal(toUri('bob@pbx.example', 'd'), 'sip:bob@pbx.example');
});

test('unusable input gives null', () => {
  assert.equal(toUri('', 'd'), null);
  assert.equal(toUri('   ', 'd'), null);
  assert.equal(toUri('bob smith', 'd'), null);
  assert.equal(toUri('<script>', 'd'), null);
});

test('the default domain is the WebSocket host, IPv6 in brackets', () => {
  assert.equal(hostOf('ws://127.0.0.1:8080/'), '127.0.0.1');
  assert.equal(hostOf('wss://sbc.example.com/sip'), 'sbc.example.com');
  assert.equal(hostOf('ws://[::1]:8080/'), '[::1]');
  assert.equal(hostOf('not a url'), '127.0.0.1');
});
