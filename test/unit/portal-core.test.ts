/** The portal's decisions (src/portal/core.ts) and its password hashing (src/portal/users.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  actionsFrom,
  applyAction,
  cameraOfPath,
  isSilent,
  localPath,
  maySeeCamera,
  maySeeFile,
  parseDay,
  shiftDay,
  silentAfterMs,
  type Viewer,
} from '../../src/portal/core.js';
import { hashPassword, passwordMatches } from '../../src/portal/users.js';

const operator: Viewer = { name: 'op', role: 'operator' };
const alice: Viewer = { name: 'alice', role: 'customer', customer: 'u1' };
const nobody: Viewer = { name: 'x', role: 'customer' };

test('a customer sees only the cameras <customer>-<device>; an operator every camera; a customer without one none', () => {
  assert.equal(maySeeCamera(alice, 'u1-cam1'), true);
  assert.equal(maySeeCamera(alice, 'u2-cam1'), false);
  assert.equal(maySeeCamera(alice, 'u11-cam1'), false, 'u11 is not u1');
  assert.equal(maySeeCamera(alice, 'u1'), false, 'not a camera');
  assert.equal(maySeeCamera(operator, 'u2-cam1'), true);
  assert.equal(maySeeCamera(nobody, 'u1-cam1'), false);
});

test('a file belongs to the camera whose folder the data contract puts it in', () => {
  assert.equal(cameraOfPath('raw', '/u1-cam1/20261126T041500Z.png'), 'u1-cam1');
  assert.equal(cameraOfPath('alerts', '/u1-cam1/u1-cam1-r200-20261126T041500Z.jpg'), 'u1-cam1');
  assert.equal(cameraOfPath('validated', '/valid/u1-cam1/20261126T041500Z.jpg'), 'u1-cam1');
  assert.equal(cameraOfPath('validated', '/rejected/u2-yard/20261126T041500Z/png.json'), 'u2-yard');
  assert.equal(cameraOfPath('validated', '/rejected/_unparsed/abc.json'), null);
  assert.equal(cameraOfPath('validated', '/u1-cam1/x.jpg'), null, 'validated keeps nothing at the root');
  assert.equal(cameraOfPath('raw', '/frame.jpg'), null);
  assert.equal(cameraOfPath('raw', 'u1-cam1/x.jpg'), null, 'paths are absolute');
});

test('the files a viewer may open: raw, validated and alerts, of their cameras; the rest only operators', () => {
  assert.equal(maySeeFile(alice, 'alerts', '/u1-cam1/u1-cam1-r200-20261126T041500Z.jpg'), true);
  assert.equal(maySeeFile(alice, 'alerts', '/u2-cam1/u2-cam1-r200-20261126T041500Z.jpg'), false);
  assert.equal(maySeeFile(alice, 'validated', '/rejected/_unparsed/abc.json'), false);
  assert.equal(maySeeFile(operator, 'validated', '/rejected/_unparsed/abc.json'), true);
  assert.equal(maySeeFile(alice, 'raw', '/u2-cam1/../u1-cam1/x.jpg'), false, 'the first folder decides');
  for (const repo of ['reports', 'warehouse', 'rules', 'feedback', 'detections']) {
    assert.equal(maySeeFile(operator, repo, '/u1-cam1/x.json'), false, `${repo} is not served at /frames/`);
  }
});

test('marks move an incident: acknowledge from open, close or false positive from open or acknowledged, reopen after', () => {
  assert.deepEqual(actionsFrom('open'), ['acknowledge', 'close', 'false_positive']);
  assert.deepEqual(actionsFrom('acknowledged'), ['close', 'false_positive']);
  assert.deepEqual(actionsFrom('closed'), ['reopen']);
  assert.deepEqual(actionsFrom('false_positive'), ['reopen']);
  assert.equal(applyAction('open', 'acknowledge'), 'acknowledged');
  assert.equal(applyAction('acknowledged', 'false_positive'), 'false_positive');
  assert.equal(applyAction('closed', 'reopen'), 'open');
  assert.deepEqual(applyAction('closed', 'acknowledge'), {
    error: 'the incident is closed: acknowledge takes an incident that is open',
  });
});

test('a camera is silent after max(10 minutes, 5 times its median interval)', () => {
  assert.equal(silentAfterMs(null), 600_000);
  assert.equal(silentAfterMs(30_000), 600_000, 'a frame every 30 s: still 10 minutes');
  assert.equal(silentAfterMs(300_000), 1_500_000, 'a frame every 5 minutes: 25 minutes');
  const last = Date.parse('2026-11-26T04:00:00Z');
  assert.equal(isSilent(last, 1000, last + 600_000), false);
  assert.equal(isSilent(last, 1000, last + 600_001), true);
  assert.equal(isSilent(last, 600_000, last + 2_999_999), false);
  assert.equal(isSilent(last, 600_000, last + 3_000_001), true);
});

test('after sign-in the browser goes back only to a path of this site', () => {
  assert.equal(localPath('/incidents/u1-cam1-r200-20261126T041500Z?frames=24'), '/incidents/u1-cam1-r200-20261126T041500Z?frames=24');
  for (const away of ['//evil.example/', '/\\evil.example', 'https://evil.example/', 'evil', '', undefined, '/x\r\nSet-Cookie: a=b']) {
    assert.equal(localPath(away), '/', String(away));
  }
});

test('days are real UTC dates', () => {
  assert.equal(parseDay('2026-11-26'), '2026-11-26');
  assert.equal(parseDay('2026-02-30'), null);
  assert.equal(parseDay('26-11-2026'), null);
  assert.equal(parseDay(undefined), null);
  assert.equal(shiftDay('2026-12-31', 1), '2027-01-01');
  assert.equal(shiftDay('2026-03-01', -1), '2026-02-28');
});

test('passwords are kept as salted scrypt hashes that only the password matches', async () => {
  const a = await hashPassword('correct horse');
  const b = await hashPassword('correct horse');
  assert.equal(a.algorithm, 'scrypt');
  assert.ok(a.N >= 2 ** 15 && a.r >= 8);
  assert.notEqual(a.salt, b.salt);
  assert.notEqual(a.hash, b.hash);
  assert.ok(!JSON.stringify(a).includes('correct horse'));
  assert.equal(await passwordMatches('correct horse', a), true);
  assert.equal(await passwordMatches('correct horse!', a), false);
  assert.equal(await passwordMatches('', a), false);
});
