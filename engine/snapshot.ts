// Snapshots: a fixed sequence number to read at. Live snapshots are counted per sequence so
// compaction knows the oldest one and keeps every version it can see.

import { InvalidArgumentError } from '../base/errors.js'

export class Snapshot {
  readonly seq: number
  private released = false
  private readonly list: SnapshotList

  /** @internal use db.snapshot() */
  constructor(seq: number, list: SnapshotList) {
    this.seq = seq
    this.list = list
  }

  get isReleased(): boolean {
    return this.released
  }

  /** Lets compaction drop the versions only this snapshot could see. Idempotent. */
  release(): void {
    if (this.released) return
    this.released = true
    this.list.remove(this.seq)
  }

  /** @internal */
  belongsTo(list: SnapshotList): boolean {
    return this.list === list
  }
}

export class SnapshotList {
  private readonly counts = new Map<number, number>()

  create(seq: number): Snapshot {
    this.counts.set(seq, (this.counts.get(seq) ?? 0) + 1)
    return new Snapshot(seq, this)
  }

  remove(seq: number): void {
    const n = this.counts.get(seq) ?? 0
    if (n <= 1) this.counts.delete(seq)
    else this.counts.set(seq, n - 1)
  }

  /** The oldest live snapshot's sequence, or `fallback` when there is none. */
  oldest(fallback: number): number {
    let min = fallback
    for (const seq of this.counts.keys()) if (seq < min) min = seq
    return min
  }

  /** Sequence numbers of the live snapshots. */
  seqs(): number[] {
    return [...this.counts.keys()]
  }

  get size(): number {
    let n = 0
    for (const c of this.counts.values()) n += c
    return n
  }

  /** Checks that `s` is a live snapshot of this database. */
  check(s: unknown): Snapshot {
    if (!(s instanceof Snapshot) || !s.belongsTo(this)) throw new InvalidArgumentError('snapshot is not from this database')
    if (s.isReleased) throw new InvalidArgumentError('snapshot was released')
    return s
  }
}
