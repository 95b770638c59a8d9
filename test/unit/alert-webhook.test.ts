/** Webhook signatures, the replay window, and which destinations Vigil posts to. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressProblem, webhookUrlProblem } from '../../src/contract/webhook-url.js';
import { REPLAY_WINDOW_SECONDS, signature, verifySignature } from '../../steps/alert/channels/webhook.js';

describe('alert: webhook signatures', () => {
  const body = '{"incident":"u1-cam1-r200-20261126T041500Z"}';
  const now = 1_795_000_000;
  const signed = (t: number, secret = 'k') => ({ timestamp: String(t), signature: signature(secret, t, body) });

  it('signs timestamp and body together (v1=HMAC-SHA256 over "v1:<t>:<body>")', () => {
    assert.match(signature('k', now, body), /^v1=[0-9a-f]{64}$/);
    assert.notEqual(signature('k', now, body), signature('k', now + 1, body));
    assert.ok(verifySignature('k', signed(now), body, now));
  });

  it('refuses another key, another body, a moved timestamp, and a replay outside 5 minutes', () => {
    assert.equal(REPLAY_WINDOW_SECONDS, 300);
    assert.ok(!verifySignature('k', signed(now, 'other'), body, now));
    assert.ok(!verifySignature('k', signed(now), `${body} `, now));
    assert.ok(!verifySignature('k', { ...signed(now), timestamp: String(now + 1) }, body, now));
    assert.ok(verifySignature('k', signed(now - 300), body, now));
    assert.ok(!verifySignature('k', signed(now - 301), body, now), 'a request captured 5 minutes ago replays no more');
    assert.ok(!verifySignature('k', signed(now + 301), body, now));
  });
});

describe('alert: webhook destinations', () => {
  it('refuses private, link-local, metadata and reserved addresses, IPv4 and IPv6, and allows loopback and public ones', () => {
    for (const a of [
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      'fd00:ec2::254',
      'fe80::1',
      '::ffff:10.0.0.1',
      '224.0.0.1',
    ]) {
      assert.ok(addressProblem(a), a);
    }
    for (const a of ['127.0.0.1', '::1', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(addressProblem(a), undefined, a);
  });

  it('https only (http to loopback), no credentials, query or fragment', () => {
    assert.equal(webhookUrlProblem('https://hooks.example.com/vigil'), undefined);
    assert.equal(webhookUrlProblem('http://127.0.0.1:9000/hook'), undefined);
    assert.equal(webhookUrlProblem('http://localhost:9000/hook'), undefined);
    assert.match(webhookUrlProblem('http://hooks.example.com/x')!, /uses http:\/\//);
    assert.match(webhookUrlProblem('https://hooks.example.com/x?token=1')!, /query/);
    assert.match(webhookUrlProblem('https://hooks.example.com/x#f')!, /query or fragment/);
    assert.match(webhookUrlProblem('https://u:p@hooks.example.com/x')!, /credentials/);
    assert.match(webhookUrlProblem('https://[fe80::1]/x')!, /private, link-local/);
    assert.match(webhookUrlProblem('ftp://hooks.example.com/x')!, /use https/);
  });
});
