/**
 * A small seedable random number generator (mulberry32): the same seed gives the same
 * sequence, so a run that failed can be replayed. Not for anything that needs secrecy.
 */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Returns a number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let value = this.state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  }

  /** Returns true with probability `rate`. A rate of 0 never draws, so it never shifts the sequence. */
  chance(rate: number): boolean {
    return rate > 0 && this.next() < rate;
  }

  /** Returns an integer in [0, max]. */
  upTo(max: number): number {
    return max <= 0 ? 0 : Math.floor(this.next() * (max + 1));
  }
}
