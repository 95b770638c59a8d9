/**
 * The pure parts of taking a model to users: the shadow window, a step reading another repo
 * under its input name (VIGIL_INPUT_REPOS), what a candidate changes for customers, the
 * promotion gate, and rule thresholds held against an evaluation.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import type { FiredRule, Match, ModelEvaluation } from '../../specs/index.js';
import { officialValidator } from '../../src/engine/pps/spec.js';
import { fileRef } from '../../src/pfs/file-ref.js';
import { datumInput } from '../../src/pfs/inputs.js';
import { packageRoot } from '../../src/pfs/package-root.js';
import { SHADOW_SPECS, shadowSpecs, shadowSpecsDir, windowDays, windowGlob } from '../../src/cli/model-shadow.js';
import { promotionGate } from '../../src/cli/promotion-gate.js';
import { diffThreats, type FrameThreats } from '../../src/cli/threat-diff.js';
import { compileGlob } from '../../src/engine/datum/glob.js';
import { checkRuleScores } from '../../steps/detect/rule-scores.js';

describe('the shadow window', () => {
  it('is the UTC days up to the last one, as one glob over validated frames', () => {
    const days = windowDays(new Date('2026-11-26T04:15:00Z'), 3);
    assert.deepEqual(days, ['20261124', '20261125', '20261126']);
    assert.deepEqual(windowDays(new Date('2026-03-01T23:59:59Z'), 2), ['20260228', '20260301']);
    const glob = compileGlob(windowGlob(days));
    assert.equal(windowGlob(days), '/valid/*/{20261124,20261125,20261126}T*');
    assert.ok(glob.test('/valid/u1-cam1/20261125T220000Z.jpg'));
    assert.ok(!glob.test('/valid/u1-cam1/20261123T235959Z.jpg'), 'a frame before the window');
    assert.ok(!glob.test('/rejected/u1-cam1/20261125T220000Z.json'));
    assert.equal(windowGlob(['20261126']), '/valid/*/20261126T*');
    assert.throws(() => windowDays(new Date(), 0), /--days 0: give a whole number of days, 1 or more/);
  });

  it('shadow specs are Pachyderm specs reading models@candidate, detection narrowed to the window', async () => {
    const validate = officialValidator();
    for (const file of SHADOW_SPECS) {
      for (const doc of parseAllDocuments(readFileSync(join(shadowSpecsDir(), file), 'utf8'))) {
        assert.ok(validate(doc.toJS()), `${file}: ${JSON.stringify(validate.errors)}`);
      }
    }
    const specs = await shadowSpecs(['20261126']);
    assert.deepEqual(
      specs.map((s) => s.spec.name),
      ['detections-shadow', 'matches-shadow', 'model-eval-shadow'],
    );
    const pfs = (name: string) => JSON.stringify(specs.find((s) => s.spec.name === name)!.spec.input);
    assert.match(pfs('detections-shadow'), /"glob":"\/valid\/\*\/20261126T\*"/);
    for (const name of ['detections-shadow', 'matches-shadow', 'model-eval-shadow'])
      assert.match(pfs(name), /"repo":"models","branch":"candidate"/);
    assert.match(pfs('matches-shadow'), /"name":"detections","repo":"detections-shadow"/);
    assert.equal(specs[1]!.spec.transform.env.VIGIL_INPUT_REPOS, 'detections=detections-shadow');
    // No live pipeline reads a shadow repo: nothing downstream of them can alert.
    const live =
      readFileSync(join(packageRoot(), 'pipelines', 'alerts.yaml'), 'utf8') +
      readFileSync(join(packageRoot(), 'pipelines', 'warehouse.yaml'), 'utf8');
    assert.doesNotMatch(live, /shadow/);
  });

  it("a step's lineage names the repo an input reads when VIGIL_INPUT_REPOS maps its name to another", () => {
    const env = {
      PFS_ROOT: '/pfs',
      detections: '/pfs/detections/u1-cam1/t.json',
      detections_COMMIT: 'c9',
      VIGIL_INPUT_REPOS: 'other=x, detections=detections-shadow',
    };
    const input = datumInput(env, 'detections');
    assert.equal(input.name, 'detections');
    assert.deepEqual(fileRef(input, { sha256: 'a'.repeat(64), size: 1 }), {
      repo: 'detections-shadow',
      commit: 'c9',
      path: '/u1-cam1/t.json',
      sha256: 'a'.repeat(64),
      size: 1,
    });
    assert.equal(
      fileRef(datumInput({ ...env, VIGIL_INPUT_REPOS: '' }, 'detections'), { sha256: 'a'.repeat(64), size: 1 }).repo,
      'detections',
    );
  });
});

describe('what a candidate changes for customers', () => {
  const rule = (ruleId: number, name: string, objects: Array<[string, number]>): FiredRule =>
    ({
      ruleId,
      name,
      severity: 'warning',
      cooldownSeconds: 300,
      objects: objects.map(([label, score]) => ({ label, score, box: { x: 0, y: 0, w: 1, h: 1 } })),
      targets: {},
    }) as FiredRule;
  const match = (user: string, ...fired: FiredRule[]) => ({ user, fired }) as unknown as Match;
  const frames: FrameThreats[] = [
    // Now: a person; with the candidate too, and a cat it alone sees.
    {
      path: '/u2-yard/20261125T220000Z.json',
      current: match('u2', rule(200, 'Person', [['person', 0.6]])),
      candidate: match('u2', rule(200, 'Person', [['person', 0.7]]), rule(100, 'Animals', [['cat', 0.85]])),
    },
    // Only the candidate fires.
    { path: '/u2-yard/20261125T221000Z.json', current: null, candidate: match('u2', rule(100, 'Animals', [['dog', 0.81]])) },
    // Only the current model fires: the candidate would lose this threat.
    {
      path: '/u3-gate/20261125T150000Z.json',
      current: match(
        'u3',
        rule(300, 'Vehicle', [
          ['motorcycle', 0.71],
          ['car', 0.5],
        ]),
      ),
      candidate: null,
    },
    // Quiet both ways.
    { path: '/u1-cam1/20261125T170000Z.json', current: null, candidate: null },
  ];

  it('counts threats both ways and lists the gains and losses per rule and customer, with their frames and objects', () => {
    const diff = diffThreats(frames);
    assert.deepEqual([diff.frames, diff.currentThreats, diff.candidateThreats], [4, 2, 3]);
    assert.deepEqual(diff.changes, [
      {
        ruleId: 100,
        rule: 'Animals',
        user: 'u2',
        gained: [
          { path: '/u2-yard/20261125T220000Z.json', objects: 'cat 0.85' },
          { path: '/u2-yard/20261125T221000Z.json', objects: 'dog 0.81' },
        ],
        lost: [],
      },
      {
        ruleId: 300,
        rule: 'Vehicle',
        user: 'u3',
        gained: [],
        lost: [{ path: '/u3-gate/20261125T150000Z.json', objects: 'motorcycle 0.71, car 0.50' }],
      },
    ]);
  });
});

describe('the promotion gate', () => {
  it('passes a candidate no worse than the margin on both APs, and says by how much', () => {
    const v = promotionGate({ ap: 0.516, ap50: 0.625 }, { ap: 0.5, ap50: 0.64 }, 0.02);
    assert.equal(v.passed, true);
    assert.deepEqual(v.lines, [
      'AP@[.5:.95]: candidate 0.500, current 0.516 (-0.016): within the margin 0.02',
      'AP@0.5: candidate 0.640, current 0.625 (+0.015): within the margin 0.02',
    ]);
  });

  it('refuses one worse beyond the margin on either, and one with nothing to compare', () => {
    assert.equal(promotionGate({ ap: 0.516, ap50: 0.625 }, { ap: 0.431, ap50: 0.7 }, 0.02).passed, false);
    assert.equal(promotionGate({ ap: 0.516, ap50: 0.625 }, { ap: 0.431, ap50: 0.5 }, 0.15).passed, true);
    assert.equal(promotionGate({ ap: 0.5, ap50: 0.5 }, { ap: 0.48, ap50: 0.5 }, 0.02).passed, true, 'exactly at the margin');
    const none = promotionGate({ ap: null, ap50: null }, { ap: 0.5, ap50: 0.5 }, 1);
    assert.equal(none.passed, false);
    assert.match(none.lines[0]!, /no value/);
  });
});

describe('rule thresholds against the evaluation', () => {
  const evaluation = {
    model: { name: 'centernet', commit: 'c0ffee', weightsSha256: 'a'.repeat(64), backend: 'wasm' },
    evalSet: { annotations: { repo: 'eval', commit: 'e1', path: '/annotations.json', sha256: 'b'.repeat(64) }, images: [] },
    ap: 0.5,
    ap50: 0.6,
    classes: [
      // Two cats, found at 0.41 and 0.33; a false cat at 0.6.
      {
        label: 'cat',
        groundTruth: 2,
        ap50: 0.5,
        ap: 0.4,
        detections: [
          { score: 0.6, truePositive: false },
          { score: 0.41, truePositive: true },
          { score: 0.33, truePositive: true },
        ],
      },
      // Three people found at 0.9, 0.7, 0.45.
      {
        label: 'person',
        groundTruth: 3,
        ap50: 1,
        ap: 0.8,
        detections: [
          { score: 0.9, truePositive: true },
          { score: 0.7, truePositive: true },
          { score: 0.45, truePositive: true },
        ],
      },
      // A horse the model never finds.
      { label: 'horse', groundTruth: 1, ap50: 0, ap: 0, detections: [] },
    ],
  } as ModelEvaluation;

  it('warns where a minScore is above every score of a labelled object, and suggests one for the stated recall', () => {
    const { warnings, unchecked } = checkRuleScores(
      [
        { ruleId: 100, classes: ['dog', 'cat', 'bear'], minScore: 0.8 },
        { ruleId: 200, classes: ['person'], minScore: 0.5 },
        { ruleId: 201, classes: ['person'], minScore: 0.4 },
        { ruleId: 400, classes: ['horse'], minScore: 0.5 },
      ],
      evaluation,
      0.9,
    );
    assert.deepEqual(warnings, [
      'rule 100: no cat in the evaluation set scored above 0.41 with centernet@c0ffee; at 0.80 the rule would miss all of them (2 labelled); minScore 0.33 finds 2 of 2 (recall 90% or more)',
      'rule 200: at 0.50 the rule would find 2 of the 3 labelled person of the evaluation set with centernet@c0ffee (67%); minScore 0.45 finds 3 of 3 (recall 90% or more)',
      'rule 400: centernet@c0ffee finds none of the 1 labelled horse of the evaluation set at any score; the rule cannot fire on one',
    ]);
    assert.deepEqual(unchecked, ['rule 100: the evaluation set labels no dog, bear: unchecked']);
  });

  it('says when no threshold reaches the recall', () => {
    const { warnings } = checkRuleScores([{ ruleId: 100, classes: ['cat'], minScore: 0.8 }], evaluation, 1);
    assert.match(warnings[0]!, /minScore 0\.33 finds 2 of 2/);
    const half = { ...evaluation, classes: [{ ...evaluation.classes[0]!, groundTruth: 4 }] } as ModelEvaluation;
    assert.match(
      checkRuleScores([{ ruleId: 100, classes: ['cat'], minScore: 0.8 }], half, 0.9).warnings[0]!,
      /no minScore finds 90% of them: the model finds 2 of 4 at any score/,
    );
  });
});
