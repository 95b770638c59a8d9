import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { INCIDENT_ID_PATTERN, incidentId, parseIncidentId } from '../../src/contract/incident-id.js';
import { packageRoot } from '../../src/pfs/package-root.js';

/** The `id` pattern of specs/alert.schema.json: the record's contract, which the code's pattern must agree with. */
const schemaPattern = new RegExp(
  (JSON.parse(readFileSync(join(packageRoot(), 'specs', 'alert.schema.json'), 'utf8')) as { properties: { id: { pattern: string } } })
    .properties.id.pattern,
);

test('an incident id names device, rule and first frame, and reads back', () => {
  const at = new Date('2026-11-26T04:15:00.250Z');
  const id = incidentId('u1', 'cam1', 200, at);
  assert.equal(id, 'u1-cam1-r200-20261126T041500.250Z');
  assert.deepEqual(parseIncidentId(id), { user: 'u1', device: 'cam1', source: 'u1-cam1', ruleId: 200, start: at, day: '20261126' });
  assert.equal(parseIncidentId(incidentId('u_2', 'door', -7, at))?.ruleId, -7);
  assert.equal(parseIncidentId('u1-cam1-r200-notatime'), null);
  assert.equal(parseIncidentId('u1-cam1-r200-20260230T000000Z'), null, 'a day that does not exist');
});

test("the code's incident id pattern and specs/alert.schema.json's agree", () => {
  const ids = [
    'u1-cam1-r200-20261126T041500Z',
    'u1-cam1-r200-20261126T041500.250Z',
    'U_1-Cam_2-r-3-20261126T041500Z',
    `${'a'.repeat(64)}-${'b'.repeat(64)}-r1-20261126T041500Z`,
    `${'a'.repeat(65)}-cam1-r1-20261126T041500Z`,
    'u1-cam1-r200-20261126T041500',
    'u1-cam1-r200-20261126T041500.25Z',
    'u1-cam1-200-20261126T041500Z',
    'u1-cam1-rx-20261126T041500Z',
    'u1-c-am1-r200-20261126T041500Z',
    'u1-cam1-r200-20261126T041500Z.json',
    'u1cam1-r200-20261126T041500Z',
    '',
  ];
  for (const id of ids) assert.equal(INCIDENT_ID_PATTERN.test(id), schemaPattern.test(id), id);
  assert.ok(ids.filter((id) => schemaPattern.test(id)).length >= 4, 'the table holds ids both accept');
  assert.ok(ids.filter((id) => !schemaPattern.test(id)).length >= 4, 'and ids both refuse');
});
