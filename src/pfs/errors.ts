/**
 * An error the user caused and can fix (a bad name, a missing repo, an invalid spec). The CLI
 * prints its message alone, without a stack, and exits 1; anything else is a bug and prints
 * its stack.
 */
export class VigilError extends Error {
  override name = 'VigilError';
}
