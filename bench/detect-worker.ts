/**
 * The bare loop the detect benchmark compares the engine with: one process that starts the same
 * backend, loads the same model and decodes, resizes and infers its share of the frames, with no
 * engine, no /pfs and no records. Run as `node dist/bench/detect-worker.js <models dir> <frame>...`;
 * prints `{"frames": n, "inferenceMs": total, "backend": name}`.
 */
import { readFile } from 'node:fs/promises';
import { startBackend } from '../steps/detect/backend.js';
import { detectInFrame } from '../steps/detect/frame.js';
import { chooseModel, loadDetector } from '../steps/detect/model.js';

const [modelsDir, ...frames] = process.argv.slice(2);
const detector = await loadDetector(modelsDir, await chooseModel(modelsDir), await startBackend());
let inferenceMs = 0;
for (const frame of frames) {
  const result = await detectInFrame(detector, await readFile(frame));
  if (result.error) throw new Error(`${frame}: ${result.error}`);
  inferenceMs += result.inferenceMs;
}
process.stdout.write(`${JSON.stringify({ frames: frames.length, inferenceMs, backend: detector.runtime.backend })}\n`);
