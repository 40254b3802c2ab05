// The oracle: conflict detection for serializable transactions, as BadgerDB's oracle does it.
// A read-write transaction remembers fingerprints of the keys it read. At commit, it conflicts if
// any commit its snapshot does not include (finished after its read point, or still in flight)
// wrote one of those keys: its reads may be stale, so committing could break serializability.
// Checking and registering a commit happen in one synchronous step, so two transactions can
// never both pass the check against each other.
//
// Every write counts, not only transactions': once the first read-write transaction has begun,
// plain put/del/batch calls register their keys too (the engine lets the writes already queued
// finish first, so none slips past untracked). Before that nothing is tracked at all.
//
// A new read-write transaction first waits for the commits already past their check (BadgerDB's
// read watermark): its snapshot then includes them, rather than conflicting with every write
// still waiting in the group commit.
//
// Point reads are remembered as fingerprints, 53-bit hashes of the key bytes: a collision can
// only cause a spurious conflict (a retry), never a missed one. Range reads are remembered as the
// key ranges an iterator covered (FoundationDB's read-conflict ranges, engine/read-ranges.ts): a
// commit that wrote any key inside one conflicts, which refuses phantoms, keys inserted into a
// range another transaction scanned and found empty. For that a commit record keeps its keys'
// bytes (the batch's own arrays, not copies) beside their fingerprints.

import { hashOut1, hashOut2, murmur3Pair } from '../base/hash.js'
import type { KeyRanges } from './read-ranges.js'

/** A 53-bit fingerprint of a key. */
export function keyFingerprint(key: Uint8Array): number {
  murmur3Pair(key)
  return hashOut1 * 2 ** 21 + (hashOut2 >>> 11)
}

/** A commit the oracle knows of: the keys it writes, and its last sequence number once applied. */
export interface CommitRecord {
  keys: number[]
  /** The same keys' bytes, for range reads. */
  keyBytes: readonly Uint8Array[]
  /** Infinity while the write is in flight (no snapshot includes it yet). */
  lastSeq: number
  /** Called when the write settles, for settled(). */
  onSettled?: () => void
}

export class Oracle {
  /** Read points of open read-write transactions → how many share each. */
  private readonly active = new Map<number, number>()
  private commits: CommitRecord[] = []
  conflicts = 0

  /** Whether writes must be registered: set when the first read-write transaction begins. */
  tracking = false

  begin(readSeq: number): void {
    this.active.set(readSeq, (this.active.get(readSeq) ?? 0) + 1)
  }

  end(readSeq: number): void {
    const n = this.active.get(readSeq) ?? 0
    if (n <= 1) this.active.delete(readSeq)
    else this.active.set(readSeq, n - 1)
    this.prune()
  }

  /** Whether a commit outside the snapshot at `readSeq` wrote one of `reads` or into one of `ranges`. */
  hasConflict(readSeq: number, reads: ReadonlySet<number>, ranges?: KeyRanges): boolean {
    const spans = ranges?.isEmpty === false ? ranges : undefined
    if (reads.size === 0 && spans === undefined) return false
    for (const c of this.commits) {
      if (c.lastSeq <= readSeq) continue
      if (reads.size > 0) {
        for (const k of c.keys) {
          if (reads.has(k)) return this.found()
        }
      }
      if (spans !== undefined) {
        for (const k of c.keyBytes) {
          if (spans.contains(k)) return this.found()
        }
      }
    }
    return false
  }

  private found(): true {
    this.conflicts++
    return true
  }

  /** Registers a write about to be queued; finish() it with its outcome. */
  start(keys: readonly Uint8Array[]): CommitRecord {
    const record: CommitRecord = { keys: keys.map(keyFingerprint), keyBytes: keys, lastSeq: Infinity }
    this.commits.push(record)
    return record
  }

  /** The write was applied with these sequence numbers, or (undefined) failed and wrote nothing. */
  finish(record: CommitRecord, lastSeq: number | undefined): void {
    if (lastSeq === undefined) this.commits = this.commits.filter((c) => c !== record)
    else record.lastSeq = lastSeq
    record.onSettled?.()
    this.prune()
  }

  /** Resolves once every commit registered so far has been applied or has failed. */
  settled(): Promise<void> {
    const pending = this.commits.filter((c) => c.lastSeq === Infinity)
    if (pending.length === 0) return Promise.resolve()
    return Promise.all(pending.map((c) => new Promise<void>((resolve) => {
      const previous = c.onSettled
      c.onSettled = () => {
        previous?.()
        resolve()
      }
    }))).then(() => undefined)
  }

  /** Drops commits every open transaction's snapshot already includes. */
  private prune(): void {
    let oldest = Infinity
    for (const seq of this.active.keys()) if (seq < oldest) oldest = seq
    // A commit in flight (lastSeq Infinity) stays: no snapshot includes it yet.
    const obsolete = (c: CommitRecord) => c.lastSeq !== Infinity && c.lastSeq <= oldest
    if (this.commits.some(obsolete)) this.commits = this.commits.filter((c) => !obsolete(c))
  }

  /** Commits still remembered (for stats and tests). */
  get size(): number {
    return this.commits.length
  }
}
