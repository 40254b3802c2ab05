// Cutting compaction outputs at grandparent overlap (LevelDB's ShouldStopBefore): an output table
// of level n+1 that overlaps many bytes of level n+2 makes its own later compaction into n+2
// expensive, so an output is also ended once the level n+2 tables its key range has passed over
// exceed a limit (10 × the target table size by default), whatever its own size.

import { compareBytes } from '../base/internal-key.js'

/** A level n+2 table under the compaction, as the limiter needs it. */
export interface GrandparentTable {
  largestKey: Uint8Array
  size: number
}

/** LevelDB's factor: an output may overlap about 10 target-sized tables of the next level. */
export const GRANDPARENT_OVERLAP_FACTOR = 10

export class GrandparentLimiter {
  private readonly tables: readonly GrandparentTable[]
  private readonly maxOverlap: number
  private next = 0
  private overlapped = 0
  private seenKey = false

  /** `tables`: in key order, not overlapping each other. */
  constructor(tables: readonly GrandparentTable[], maxOverlap: number) {
    this.tables = tables
    this.maxOverlap = maxOverlap
  }

  /**
   * Called with each new user key in order, before it is added: true when the current output
   * should end before it. Starting a new output resets the count.
   */
  shouldCutBefore(userKey: Uint8Array): boolean {
    const tables = this.tables
    while (this.next < tables.length && compareBytes(userKey, tables[this.next].largestKey) > 0) {
      // A table the output's range has passed over entirely (counted once the output has a key).
      if (this.seenKey) this.overlapped += tables[this.next].size
      this.next++
    }
    this.seenKey = true
    if (this.overlapped > this.maxOverlap) {
      this.overlapped = 0
      return true
    }
    return false
  }

  /** The output was ended for another reason (its size): its overlap starts again from zero. */
  reset(): void {
    this.overlapped = 0
  }
}
