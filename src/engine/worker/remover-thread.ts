/** The Remover's thread: removes each message's path, then answers. */
import { parentPort } from 'node:worker_threads';
import { removeNow } from './remover.js';

parentPort!.on('message', (path: string) => {
  removeNow(path);
  parentPort!.postMessage(null);
});
