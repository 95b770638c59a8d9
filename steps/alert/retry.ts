/** Retries with exponential backoff for transient failures (HTTP 429 and 5xx, SMTP 4xx, network errors). */
import { setTimeout as sleep } from 'node:timers/promises';

/** ok: delivered. retry: transient, try again. final: refused for good (e.g. HTTP 400, SMTP 550). */
export type Outcome = 'ok' | 'retry' | 'final';

export interface TryResult<R> {
  outcome: Outcome;
  result: R;
  /** Requests this try made, when a client retries on its own (pdjs retries 429); default 1. */
  requests?: number;
}

export interface RetryPolicy {
  /** Requests in all, across tries. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 8000 };

/** The last try's outcome and result; outcome `retry` means the attempts ran out. */
export interface Retried<R> {
  outcome: Outcome;
  result: R;
  attempts: number;
  firstAttemptAt: string;
  lastAttemptAt: string;
}

/** How an HTTP status counts: 2xx delivered, 429 and 5xx transient, anything else final. */
export function httpOutcome(status: number): Outcome {
  if (status >= 200 && status < 300) return 'ok';
  return status === 429 || status >= 500 ? 'retry' : 'final';
}

export async function withRetry<R>(tryOnce: () => Promise<TryResult<R>>, policy: RetryPolicy = DEFAULT_RETRY): Promise<Retried<R>> {
  const firstAttemptAt = new Date().toISOString();
  let attempts = 0;
  for (let tries = 0; ; tries++) {
    if (tries > 0) await sleep(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (tries - 1)));
    const lastAttemptAt = new Date().toISOString();
    const tried = await tryOnce();
    attempts += tried.requests ?? 1;
    if (tried.outcome !== 'retry' || attempts >= policy.maxAttempts) {
      return { outcome: tried.outcome, result: tried.result, attempts, firstAttemptAt, lastAttemptAt };
    }
  }
}
