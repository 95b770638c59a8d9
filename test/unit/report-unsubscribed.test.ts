/**
 * The daily report's cameras that no subscription names (issue 20, "Silence"): which cameras
 * they are, decided as the match stage decides it (a device's own entry, else its user's "*"),
 * the record the report step writes, and the warning on its page.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SubscriptionsFile } from '../../specs/index.js';
import { governingEntry } from '../../src/contract/policy-files.js';
import { dailyReport, renderDailyHtml, subscribedCameras, unsubscribedCameras, type QueryRows } from '../../steps/report/core.js';

const FILE = { repo: 'rules', commit: 'r0001', path: '/subscriptions.yaml', sha256: 'a'.repeat(64), size: 120 };

const SUBSCRIPTIONS: SubscriptionsFile = {
  users: [
    { id: 'u1', devices: [{ id: 'cam1', rules: [100] }] },
    { id: 'u2', devices: [{ id: '*', rules: [100] }] },
    {
      id: 'u3',
      devices: [
        { id: 'door', rules: [] },
        { id: '*', rules: [200] },
      ],
    },
  ],
};

const subscribed = subscribedCameras(SUBSCRIPTIONS, FILE);

describe('report: cameras no subscription names', () => {
  it('a device entry and a "*" entry name a camera; another device of a user without "*", or an unknown user, does not', () => {
    const frames: QueryRows = [
      { user: 'u1', device: 'cam1', frames: 40 },
      { user: 'u1', device: 'cam2', frames: 3 },
      { user: 'u2', device: 'anything', frames: 7 },
      { user: 'u3', device: 'yard', frames: 2 },
      { user: 'u9', device: 'cam3', frames: 100 },
      { user: 'u9', device: 'cam4', frames: 3 },
    ];
    assert.deepEqual(unsubscribedCameras(frames, subscribed), [
      { user: 'u9', device: 'cam3', frames: 100 },
      { user: 'u1', device: 'cam2', frames: 3 },
      { user: 'u9', device: 'cam4', frames: 3 },
    ]);
  });

  it('the lookup is the match stage\'s: its own entry first, then the user\'s "*"', () => {
    const devices = new Map([
      ['door', 'own'],
      ['*', 'any'],
    ]);
    assert.equal(governingEntry(devices, 'door'), 'own');
    assert.equal(governingEntry(devices, 'yard'), 'any');
    assert.equal(governingEntry(new Map([['door', 'own']]), 'yard'), undefined);
    assert.equal(governingEntry(undefined, 'door'), undefined);
  });

  it("the day's record names each camera with its frames and the subscriptions file read; none when all are subscribed", () => {
    const results = (framesPerCamera: QueryRows) =>
      new Map<string, QueryRows>([
        [
          'totals',
          [
            {
              framesAnalysed: 12,
              unmatchedFrames: 12,
              threats: 0,
              usersWithThreats: 0,
              devicesWithThreats: 0,
              rejectedFrames: 0,
              incidents: 0,
              alertsSent: 0,
              alertsFailed: 0,
            },
          ],
        ],
        ...['threatsByUser', 'threatsByHour', 'topDevices', 'threatsByRule', 'rejectionReasons', 'alertOutcomes', 'alertLatency'].map(
          (name) => [name, []] as [string, QueryRows],
        ),
        ['framesPerCamera', framesPerCamera],
      ]);
    const report = dailyReport(
      '2026-11-26',
      { repo: 'warehouse' },
      subscribed,
      results([
        { user: 'u1', device: 'cam1', frames: 2 },
        { user: 'u9', device: 'cam3', frames: 10 },
      ]),
    );
    assert.deepEqual(report.unsubscribedCameras, [{ user: 'u9', device: 'cam3', frames: 10 }]);
    assert.deepEqual(report.subscriptions, FILE);

    const page = renderDailyHtml(report);
    assert.match(page, /<section class="card warning" id="unsubscribed"><h2>Cameras no subscription names<\/h2>/);
    assert.match(page, /10 frame\(s\) from 1 camera\(s\) were analysed, but no subscription names these cameras/);
    assert.match(page, /Add each camera to subscriptions\.yaml in the rules repo/);
    assert.match(page, /<tr><td>u9-cam3<\/td><td class="n">10<\/td><\/tr>/);
    assert.doesNotMatch(page, /u1-cam1/);

    const quiet = dailyReport('2026-11-26', { repo: 'warehouse' }, subscribed, results([{ user: 'u1', device: 'cam1', frames: 2 }]));
    assert.deepEqual(quiet.unsubscribedCameras, []);
    assert.doesNotMatch(renderDailyHtml(quiet), /no subscription names|id="unsubscribed"/);
  });
});
