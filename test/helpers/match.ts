import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DetectedObject, Detection } from '../../specs/index.js';
import { COCO_LABELS, DEFAULT_MODEL_NAME } from '../../steps/detect/default-model.js';
import { compilePolicy, type LoadedPolicy, type ModelLabels } from '../../steps/match/rules.js';
import { packageRoot } from '../../src/pfs/package-root.js';

/** The default detector's labels, as the models repo holds them. */
export const MODEL_LABELS: ModelLabels[] = [{ model: DEFAULT_MODEL_NAME, labels: COCO_LABELS }];

/** The sample policy: test/fixtures/rules/{rules,subscriptions}.yaml. */
export const FIXTURE_RULES_DIR = join(packageRoot(), 'test', 'fixtures', 'rules');

export async function fixturePolicyFiles(): Promise<{ rules: Buffer; subscriptions: Buffer }> {
  return {
    rules: await readFile(join(FIXTURE_RULES_DIR, 'rules.yaml')),
    subscriptions: await readFile(join(FIXTURE_RULES_DIR, 'subscriptions.yaml')),
  };
}

/** Compiles a policy written inline as YAML, checked against the default model's labels. */
export function policyOf(rulesYaml: string, subscriptionsYaml: string): LoadedPolicy {
  return compilePolicy({ rules: Buffer.from(rulesYaml), subscriptions: Buffer.from(subscriptionsYaml) }, MODEL_LABELS);
}

/** An object as the detector reports it: label, score and a normalised box. */
export function obj(
  label: string,
  score: number,
  box: { x: number; y: number; w: number; h: number } = { x: 0.4, y: 0.3, w: 0.2, h: 0.4 },
): DetectedObject {
  const classId = COCO_LABELS.indexOf(label);
  return { label, classId: Math.max(classId, 0), score, box };
}

const HEX = (c: string) => c.repeat(64);

/** A detection record of the frame /<user>-<device>/<ts>.jpg captured at `capturedAt` (ISO, UTC). */
export function detection(user: string, device: string, capturedAt: string, objects: DetectedObject[]): Detection {
  const ts = capturedAt.replace(/[-:]/g, '').replace(/\.000Z$/, 'Z');
  return {
    user,
    device,
    capturedAt,
    frame: { repo: 'validated', commit: 'c0ffee', path: `/valid/${user}-${device}/${ts}.jpg`, sha256: HEX('a'), size: 1000 },
    frameSize: { width: 640, height: 480 },
    model: { name: DEFAULT_MODEL_NAME, commit: 'm0de1', weightsSha256: HEX('b'), backend: 'wasm' },
    objects,
    inferenceMs: 12,
  };
}
