import { rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * Removes scratch files and folders on a thread of its own. Removing a folder is a journaled
 * metadata change that can wait on the disk, several times a datum: on the event loop those
 * waits would hold up every worker's NextDatum answers, and queued on libuv's pool each call
 * costs the loop about as much as the removal. Here the loop pays one message per datum.
 * Failures are ignored: what is left is scratch, which the job's clean-up of its work folder
 * removes.
 */
export class Remover {
  /** Started by the first removal: a job whose datums write nothing never needs it. */
  private thread: Worker | undefined;
  private pending = 0;
  private drained: (() => void) | undefined;
  /** Set when the thread could not run; removal then happens inline. */
  private broken = false;

  /** Removes `path` and all below it; a path already gone is no error. */
  remove(path: string): void {
    if (this.broken) {
      removeNow(path);
      return;
    }
    this.pending++;
    this.started().postMessage(path);
  }

  /** Waits for every removal asked for, then stops the thread. */
  async close(): Promise<void> {
    if (this.pending > 0) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
    await this.thread?.terminate();
  }

  private started(): Worker {
    if (this.thread) return this.thread;
    const thread = new Worker(new URL('./remover-thread.js', import.meta.url));
    thread.on('message', () => this.settle(1));
    thread.on('error', () => {
      this.broken = true;
      this.settle(this.pending);
    });
    this.thread = thread;
    return thread;
  }

  private settle(count: number): void {
    this.pending -= count;
    if (this.pending === 0) this.drained?.();
  }
}

/** What the thread does with each message; also the fallback when it cannot run. */
export function removeNow(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // scratch: the job's clean-up removes what is left
  }
}
