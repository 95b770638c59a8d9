import type { RefusalCode } from '../errors.js';

/** An S3 error answer: its HTTP status and S3 error code (answered as S3's XML Error body). */
export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The S3 error code for an ingest refusal (the status is the refusal's own). */
export const S3_CODE_OF_REFUSAL: Record<RefusalCode, string> = {
  unauthorized: 'AccessDenied',
  forbidden: 'AccessDenied',
  tls_required: 'AccessDenied',
  bad_path: 'InvalidArgument',
  capture_time: 'InvalidArgument',
  too_large: 'EntityTooLarge',
  unsupported_format: 'InvalidArgument',
  conflict: 'OperationAborted',
  queue_full: 'SlowDown',
  shutting_down: 'ServiceUnavailable',
  disk_low: 'SlowDown',
  not_found: 'NoSuchKey',
  internal: 'InternalError',
};
