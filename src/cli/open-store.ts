import type { Store } from '../engine/store/store.js';
import { storeRoot } from './command.js';

/** The store a command's `--root` (else $VIGIL_ROOT, else ./.vigil) names; loaded lazily to keep `vigil step` fast. */
export async function openStore(args: { root?: string }): Promise<Store> {
  const { Store } = await import('../engine/store/store.js');
  return Store.open(storeRoot(args));
}
