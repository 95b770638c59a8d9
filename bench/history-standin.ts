/**
 * The history benchmark's stand-ins for the validate and detect steps (bench/history.ts), run
 * once to build a camera's earlier records through the engine: for each earlier frame they
 * write what the real step would (validate: the frame as its standard JPEG, or a rejection;
 * detect: a detection with the objects the fixture gives that minute) without decoding it or
 * running the model. The bench then puts the real specs back, keeping every datum's hash, so
 * the run it measures runs the real steps on the new frame only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DetectedObject, Detection, Rejection } from '../specs/index.js';
import { parseFramePath, type FramePath } from '../src/contract/frame-path.js';
import { REPOS, frameRecordPath, parseValidFramePath, validFramePath } from '../src/contract/repos.js';
import { forEachDatum } from '../src/pfs/datums.js';
import { fileRef } from '../src/pfs/file-ref.js';
import { writeJsonOutput, writeOutput } from '../src/pfs/files.js';
import { datumInput, inputCommit } from '../src/pfs/inputs.js';
import { outDir } from '../src/pfs/paths.js';
import { DEFAULT_MODEL_NAME } from '../steps/detect/default-model.js';
import { rejectedPath, rejectionRecord } from '../steps/validate/core.js';

/** What the camera saw in the minute of `frame`: a person every 30 minutes, a dog every 97, a car every 7. */
function fixtureObjects(frame: FramePath): DetectedObject[] {
  const minute = Math.floor(frame.capturedAt.getTime() / 60_000);
  const box = { x: 0.2, y: 0.3, w: 0.2, h: 0.4 };
  return [
    ...(minute % 30 === 0 ? [{ label: 'person', classId: 0, score: 0.91, box }] : []),
    ...(minute % 97 === 0 ? [{ label: 'dog', classId: 17, score: 0.86, box }] : []),
    ...(minute % 7 === 0 ? [{ label: 'car', classId: 2, score: 0.64, box }] : []),
  ];
}

/** One frame in 50 is refused by validation (too little contrast). */
function fixtureRejected(frame: FramePath): boolean {
  return Math.floor(frame.capturedAt.getTime() / 60_000) % 50 === 7;
}

function parsed(result: FramePath | { error: string }, path: string): FramePath {
  if ('error' in result) throw new Error(`history stand-in: ${path}: ${result.error}`);
  return result;
}

const step = process.argv[2];
if (step !== 'validate' && step !== 'detect') throw new Error(`history stand-in: validate or detect, not ${step}`);

await forEachDatum(async ({ env }) => {
  if (step === 'validate') {
    const input = datumInput(env, REPOS.raw);
    const frame = parsed(parseFramePath(input.repoPath), input.repoPath);
    const bytes = readFileSync(input.path);
    if (fixtureRejected(frame)) {
      const reasons: Rejection['reasons'] = [
        { code: 'contrast', message: 'contrast 3.1 is under the minimum 10', measured: 3.1, limit: 10 },
      ];
      const rejection = rejectionRecord(fileRef(input, bytes), frame, reasons, '0'.repeat(64));
      writeJsonOutput(join(outDir(env), rejectedPath(frame, '')), rejection);
    } else {
      writeOutput(join(outDir(env), validFramePath(frame)), bytes);
    }
    return;
  }
  const input = datumInput(env, REPOS.validated);
  const frame = parsed(parseValidFramePath(input.repoPath), input.repoPath);
  const detection: Detection = {
    user: frame.user,
    device: frame.device,
    capturedAt: frame.capturedAt.toISOString(),
    frame: fileRef(input, readFileSync(input.path)),
    frameSize: { width: 640, height: 480 },
    model: { name: DEFAULT_MODEL_NAME, commit: inputCommit(datumInput(env, REPOS.models)), weightsSha256: '0'.repeat(64), backend: 'wasm' },
    objects: fixtureObjects(frame),
    inferenceMs: 0,
  };
  writeJsonOutput(join(outDir(env), frameRecordPath(frame)), detection);
});
