import { join } from 'node:path';
import { VigilError } from '../../src/pfs/errors.js';
import { packageDir } from './package-dir.js';

export type Tf = typeof import('@tensorflow/tfjs');

/** The backends Vigil runs the detector on, best first; `VIGIL_TF_BACKEND` forces one. */
export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** A ready TensorFlow.js: the API to use (each native package bundles its own) and which backend it runs. */
export interface Runtime {
  tf: Tf;
  backend: BackendName;
}

// Held in variables so TypeScript does not demand the optional packages' types.
const NATIVE_PACKAGES: Record<Exclude<BackendName, 'wasm'>, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

async function startNative(name: Exclude<BackendName, 'wasm'>): Promise<Tf> {
  const tf = (await import(NATIVE_PACKAGES[name])) as Tf;
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${NATIVE_PACKAGES[name]} did not start its backend`);
  return tf;
}

async function startWasm(): Promise<Tf> {
  const tf = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // Node reads the .wasm binaries from disk; the SIMD build is chosen when the CPU has SIMD.
  // Node has no wasm threads, so each worker process uses one core; the engine runs one process per core.
  wasm.setWasmPaths(`${join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist')}/`);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
  return tf;
}

async function start(name: BackendName): Promise<Tf> {
  const tf = name === 'wasm' ? await startWasm() : await startNative(name);
  await tf.ready();
  // tfjs silently falls back to its pure-JS cpu backend, 30x slower: never let that pass.
  if (tf.getBackend() !== (name === 'wasm' ? 'wasm' : 'tensorflow')) {
    throw new Error(`asked for ${name} but TensorFlow.js runs ${tf.getBackend()}`);
  }
  return tf;
}

/**
 * Starts the best available backend: tfjs-node-gpu, then tfjs-node, then WASM (SIMD), or
 * exactly the one `VIGIL_TF_BACKEND` names. Never the cpu backend.
 */
export async function startBackend(env: NodeJS.ProcessEnv = process.env): Promise<Runtime> {
  const forced = env.VIGIL_TF_BACKEND;
  if (forced) {
    if (!(BACKENDS as readonly string[]).includes(forced)) {
      throw new VigilError(`VIGIL_TF_BACKEND=${forced} is not a backend; use one of ${BACKENDS.join(', ')}`);
    }
    const backend = forced as BackendName;
    try {
      return { tf: await start(backend), backend };
    } catch (e) {
      throw new VigilError(`VIGIL_TF_BACKEND=${forced} cannot start: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const failures: string[] = [];
  for (const backend of BACKENDS) {
    try {
      return { tf: await start(backend), backend };
    } catch (e) {
      failures.push(`${backend}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  throw new VigilError(`no TensorFlow.js backend could start (${failures.join('; ')})`);
}
