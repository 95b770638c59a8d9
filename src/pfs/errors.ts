/**
 * An error the user caused and can fix (a bad name, a missing repo, an invalid spec). The CLI
 * prints its message alone, without a stack, and exits 1; anything else is a bug and prints
 * its stack.
 */
export class VigilError extends Error {
  override name = 'VigilError';
}

/**
 * A user's error that no datum of the job can escape (e.g. the rules commit every datum reads is
 * invalid). The step kit ends the step with JOB_FAILURE_EXIT_CODE and the message as its last
 * stderr line; the embedded engine fails the job once with that reason instead of failing each
 * datum alike. Pachyderm knows no such code: there each datum fails as with any other exit.
 */
export class JobFailure extends VigilError {
  override name = 'JobFailure';
}

/** The exit status of a step that found its whole job cannot succeed (sysexits' EX_DATAERR). */
export const JOB_FAILURE_EXIT_CODE = 65;
