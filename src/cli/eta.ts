/**
 * The rate and time left that `vigil run` shows for a job. Measured from the first datum done,
 * not from the job's start: a step's start-up (loading a detector) comes before any datum and
 * would make every early estimate far too long. The rate is that of the last WINDOW datums, so
 * that it follows a job whose pace changes.
 */
const WINDOW = 50;

export class Eta {
  /** When each of the last WINDOW datums finished (ms). */
  private readonly finished: number[] = [];
  private done = 0;

  constructor(private readonly total: number) {}

  datumDone(now: number): void {
    this.done++;
    this.finished.push(now);
    if (this.finished.length > WINDOW) this.finished.shift();
  }

  /** Datums a second over the window; undefined until two datums finished at different times. */
  rate(): number | undefined {
    const n = this.finished.length;
    const span = n >= 2 ? this.finished[n - 1]! - this.finished[0]! : 0;
    return span > 0 ? ((n - 1) * 1000) / span : undefined;
  }

  /** Milliseconds left at `now`, less the time since the last datum finished; undefined while the rate is unknown. */
  remainingMs(now: number): number | undefined {
    const rate = this.rate();
    if (rate === undefined) return undefined;
    const sinceLast = now - this.finished[this.finished.length - 1]!;
    return Math.max(0, ((this.total - this.done) / rate) * 1000 - sinceLast);
  }
}
