import type { ApiError } from '../../specs/index.js';

/** A refusal's stable code (specs/api-error.schema.json). */
export type RefusalCode = ApiError['error']['code'];

const STATUS: Record<RefusalCode, number> = {
  unauthorized: 401,
  forbidden: 403,
  tls_required: 403,
  bad_path: 400,
  capture_time: 400,
  too_large: 413,
  unsupported_format: 415,
  conflict: 409,
  queue_full: 503,
  shutting_down: 503,
  disk_low: 503,
  not_found: 404,
  internal: 500,
};

/**
 * A request refused before anything of it was stored: its HTTP status, a code that names the
 * reason (a metric label too) and one sentence for the person reading the camera's log.
 */
export class Refusal extends Error {
  readonly status: number;

  constructor(
    readonly code: RefusalCode,
    message: string,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = STATUS[code];
  }

  body(): ApiError {
    return { error: { code: this.code, message: this.message } };
  }
}
