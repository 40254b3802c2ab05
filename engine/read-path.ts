// The read path: point lookups (memtable → frozen memtables → L0 newest first → one table per
// level), visibility (through base/visibility.ts), value resolution (inline or through a value-log
// pointer), read sequence numbers, and opening iterators over a pinned version.
//
// Owns: nothing but the code. Reads in EngineState: `mem`, `frozen`, `versions`, `snapshots`,
// `vlog`, `options.clock`; adds to and removes from `iterators`.
// Must never: write anything (no memtable insert, no WAL append, no manifest edit), wait on I/O
// (every step is synchronous, so a read sees one consistent state), or import the write path.

import { hashOut1, hashOut2, murmur3Pair } from '../base/hash.js'
import { isAbsent } from '../base/visibility.js'
import { entryExpiresAt, entryMeta, entryPayload, hasHeader } from '../base/entry-value.js'
import { KIND_FOR_SEEK, Kind, MAX_SEQ, compareBytes } from '../base/internal-key.js'
import type { InternalIterator, LookupResult } from '../base/internal-iterator.js'
import { MergingIterator } from '../base/merging-iterator.js'
import { type FileMetadata, LevelIterator, NUM_LEVELS } from '../manifest/index.js'
import { decodePointer } from '../vlog/index.js'
import type { StoredEntry } from './api-types.js'
import type { BackupHost } from './backup.js'
import { DBIterator, type IteratorOptions } from './iterator.js'
import type { Snapshot } from './snapshot.js'
import type { EngineState } from './state.js'

export interface ReadOptions {
  /** Read at this snapshot instead of the latest state. */
  snapshot?: Snapshot
}

export class ReadPath {
  private readonly s: EngineState
  /** Called when an iterator closes (value-log maintenance waits for some to). */
  private readonly onIteratorClosed: (it: DBIterator<unknown>) => void

  constructor(s: EngineState, onIteratorClosed: (it: DBIterator<unknown>) => void) {
    this.s = s
    this.onIteratorClosed = onIteratorClosed
  }

  /**
   * The newest version of `key` at `seq`, absent or not; undefined when none is stored. The
   * value is valid only until the next lookup of this thread (tables are read with
   * get(…, transient), sstable/table-reader.ts): copy what must outlive it.
   */
  lookup(key: Uint8Array, seq: number): LookupResult | undefined {
    const s = this.s
    // Hashed once: the memtables' key filters and the tables' bloom filters probe the same
    // murmur3 pair (base/hash.ts), and a miss otherwise hashed the key once per filter it met.
    murmur3Pair(key)
    const h1 = hashOut1
    const h2 = hashOut2
    let r = s.mem.getHashed(key, seq, h1, h2)
    if (r) return r
    for (const f of s.frozen) {
      r = f.mem.getHashed(key, seq, h1, h2)
      if (r) return r
    }
    const levels = s.versions.current.levels
    for (const f of levels[0]) {
      if (f.minSeq > seq || !f.overlaps(key, key)) continue
      r = f.reader!.getHashed(key, seq, h1, h2, true)
      if (r) return r
    }
    for (let level = 1; level < NUM_LEVELS; level++) {
      const f = s.versions.current.findTable(level, key)
      if (f === undefined) continue
      r = f.reader!.getHashed(key, seq, h1, h2, true)
      if (r) return r
    }
    return undefined
  }

  /** Whether a found version reads as absent: a deletion, expired, or dropped by dropPrefix/dropAll. */
  isHidden(key: Uint8Array, r: LookupResult): boolean {
    // Only an entry with a header can expire: the others skip the clock call (a get's hot path).
    const now = hasHeader(r.kind) ? this.s.options.clock() : 0
    return isAbsent(now, this.s.versions.droppedPrefixes, key, r.seq, r.kind, r.value)
  }

  /** The visible version of `key` at `seq`, or undefined when there is none or it reads as absent. */
  find(key: Uint8Array, seq: number): LookupResult | undefined {
    const r = this.lookup(key, seq)
    return r === undefined || this.isHidden(key, r) ? undefined : r
  }

  /** The bytes a stored value stands for: itself, or what its pointer leads to. A copy. */
  resolveValue(kind: number, value: Uint8Array, key: Uint8Array): Buffer {
    if (kind === Kind.Value) return Buffer.from(value)
    if (kind === Kind.ValueWithHeader) return Buffer.from(entryPayload(kind, value))
    return this.s.vlog.read(decodePointer(entryPayload(kind, value)), key)
  }

  /** getEntry's answer: the visible version's value with its version, expiry and metadata byte. */
  entry(key: Uint8Array, seq: number): StoredEntry | undefined {
    const r = this.find(key, seq)
    if (r === undefined) return undefined
    return {
      value: this.resolveValue(r.kind, r.value, key), version: r.seq,
      expiresAt: entryExpiresAt(r.kind, r.value), meta: entryMeta(r.kind, r.value),
    }
  }

  readSeq(options: ReadOptions | undefined): number {
    if (options?.snapshot !== undefined) return this.s.snapshots.check(options.snapshot).seq
    return this.s.versions.lastSeq
  }

  /**
   * An iterator and the merged source under it (engine/backup.ts walks the source itself).
   * `recycleBlocks`: the table iterators pin the blocks they are on instead of escaping them
   * (sstable/table-iter.ts), for a caller of `source` that keeps no key or value view past the
   * next positioning call: DBIterator copies all it hands out; the backup's walk is not checked
   * for it and does not ask.
   */
  pinnedIterator(options: IteratorOptions, readSeq: number, recycleBlocks = false): { it: DBIterator<Buffer | undefined>; source: MergingIterator } {
    const s = this.s
    const version = s.versions.current.ref()
    // Pinned: a flushed memtable's arena is reused only once no iterator reads it (memory-budget.ts).
    const mems = [s.mem, ...s.frozen.map((f) => f.mem)]
    s.memory.pin(mems)
    const children: InternalIterator[] = mems.map((m) => m.iterator())
    for (const f of version.levels[0]) children.push(f.reader!.iterator({ recycleBlocks }))
    for (let level = 1; level < NUM_LEVELS; level++) {
      if (version.levels[level].length > 0) children.push(new LevelIterator(version.levels[level], { recycleBlocks }))
    }
    const source = new MergingIterator(children)
    const it: DBIterator<Buffer | undefined> = new DBIterator(
      source, options, readSeq,
      { now: s.options.clock(), droppedPrefixes: s.versions.droppedPrefixes },
      (kind, value, key) => this.resolveValue(kind, value, key),
      () => {
        s.iterators.delete(it)
        version.unref()
        s.memory.unpin(mems)
        this.onIteratorClosed(it)
      },
    )
    s.iterators.add(it)
    return { it, source }
  }

  /** What engine/backup.ts reads a backup through: every internal entry at a fresh snapshot. */
  backupHost(snapshot: () => Snapshot): BackupHost {
    const s = this.s
    return {
      // A backup file is not part of the database: it is written as it is, never encrypted, so it
      // can be restored anywhere (encrypt it yourself, or pass a stream that does).
      fs: s.encryption?.inner ?? s.fs,
      snapshot,
      tombstoneHorizon: () => s.versions.tombstoneHorizon,
      visibility: () => ({ now: s.options.clock(), droppedPrefixes: s.versions.droppedPrefixes }),
      scan: () => {
        const { it, source } = this.pinnedIterator({}, MAX_SEQ)
        return { source, readValueLog: (p, key) => s.vlog.read(decodePointer(p), key), closed: () => it.closed, close: () => it.close() }
      },
    }
  }

  /**
   * Approximate bytes the tables spend on keys in [lo, hi), from each table's block offsets
   * (as LevelDB estimates it). Data still in memtables is not counted.
   */
  approximateSize(lo: Uint8Array, hi: Uint8Array): number {
    if (compareBytes(lo, hi) >= 0) return 0
    const offsetOf = (f: FileMetadata, key: Uint8Array): number => {
      const r = f.reader!
      const i = r.findBlock(key, MAX_SEQ * 256 + KIND_FOR_SEEK)
      return i < r.blockCount ? r.blockOffset(i) : f.size
    }
    let total = 0
    for (const f of this.s.versions.current.allFiles()) {
      if (!f.overlaps(lo, hi)) continue
      total += offsetOf(f, hi) - offsetOf(f, lo)
    }
    return total
  }
}
