/**
 * Datums whose input bytes expired (store/expiry.ts: a retention period ended, or an erasure):
 * a job does not run them. Expiry keeps every path and hash, so an unchanged datum is skipped
 * as ever; a datum planned again for another reason (a new model or rules commit, a new
 * pipeline version) keeps the outputs its last run left, since its step could not read its
 * frames. The job counts them (dataExpired) and says so in its summary. On Pachyderm, whose
 * datums lose their outputs when their input files go, the same is done by keeping the files
 * and expiring their bytes outside PFS (README, "Retention, erasure and garbage collection").
 */
import type { Datum } from '../datum/create.js';
import type { Store } from '../store/store.js';

export async function setAsideExpired(store: Store, datums: Datum[]): Promise<{ run: Datum[]; expired: Datum[] }> {
  const gone = new Map<string, boolean>();
  const isExpired = async (sha256: string): Promise<boolean> => {
    let known = gone.get(sha256);
    if (known === undefined) {
      known = sha256 !== '' && (await store.expiry.expiredNow(sha256)) !== null;
      gone.set(sha256, known);
    }
    return known;
  };
  const run: Datum[] = [];
  const expired: Datum[] = [];
  for (const datum of datums) {
    let any = false;
    for (const input of datum.inputs) {
      for (const file of input.files) {
        if (await isExpired(file.sha256)) {
          any = true;
          break;
        }
      }
      if (any) break;
    }
    (any ? expired : run).push(datum);
  }
  return { run, expired };
}
