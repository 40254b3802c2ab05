// Transactions with serializable snapshot isolation, as in BadgerDB. A transaction reads at the
// snapshot taken when it began, sees its own buffered writes (point reads and iterators alike),
// and commits them as one atomic batch. A read-write transaction records what it read: the keys
// of point reads, and the key ranges its iterators covered (engine/read-ranges.ts). Its commit
// fails with ConflictError, writing nothing, when another commit its snapshot does not include
// wrote one of those keys or any key inside one of those ranges (engine/oracle.ts), so a key
// inserted into a range it scanned (a phantom) is a conflict too. Read-only transactions never
// conflict.
//
// Lifetime: a transaction holds a snapshot (so compaction keeps what it can read) until it
// commits or is discarded; db.transaction() and db.view() do both for you.

import { ClosedError, ConflictError, InvalidArgumentError, TransactionTooLargeError } from '../base/errors.js'
import { type Bounds, type EntryInfo, rangePredicate, resolveBounds } from './db-iterator.js'
import { type Bytes, type EntryOptions, toBound, toEntryHeader, toKey, toOwnedKey, toOwnedValue } from './input.js'
import type { DBIterator, Entry, IteratorOptions } from './iterator.js'
import { type CommitRecord, Oracle, keyFingerprint } from './oracle.js'
import { ReadRanges, type ReadSpan } from './read-ranges.js'
import type { Snapshot } from './snapshot.js'
import { BatchOps } from './write-batch.js'

/** What a transaction needs of the database. */
export interface TransactionHost {
  readonly oracle: Oracle
  readonly detectConflicts: boolean
  /** The most bytes of keys and values one transaction may write. */
  readonly maxTransactionBytes: number
  readonly clock: () => number
  snapshot(): Snapshot
  getSync(key: Uint8Array, options: { snapshot: Snapshot }): Buffer | undefined
  iterator(options: IteratorOptions): DBIterator<Buffer | undefined>
  /** Queues the batch and resolves once applied; `record` is the oracle's entry for it. */
  writeTracked(ops: BatchOps, sync: boolean | undefined, record: CommitRecord | undefined): Promise<void>
}

interface BufferedWrite {
  key: Uint8Array
  /** undefined: a deletion. */
  value: Uint8Array | undefined
  expiresAt: number
  meta: number
}

export interface TransactionOptions {
  /** Refuse writes; never conflicts. Default false. */
  readOnly?: boolean
}

export interface CommitOptions {
  sync?: boolean
}

type State = 'open' | 'committed' | 'discarded'

const latin1 = (k: Uint8Array): string => Buffer.from(k.buffer, k.byteOffset, k.length).toString('latin1')

export class Transaction {
  readonly readOnly: boolean
  private readonly host: TransactionHost
  private readonly snap: Snapshot
  /** latin1(key) → the buffered write: the string's order is the bytes' order. */
  private readonly writes = new Map<string, BufferedWrite>()
  private readonly reads = new Set<number>()
  private readonly ranges = new ReadRanges()
  private readonly tracksReads: boolean
  private bytes = 0
  private state: State = 'open'

  /** @internal use db.transaction() or db.view() */
  constructor(host: TransactionHost, options: TransactionOptions = {}) {
    this.host = host
    this.readOnly = options.readOnly === true
    this.snap = host.snapshot()
    this.tracksReads = !this.readOnly && host.detectConflicts
    if (this.tracksReads) host.oracle.begin(this.snap.seq)
  }

  /** The sequence number this transaction reads at. */
  get readVersion(): number {
    return this.snap.seq
  }

  /** The value of `key` as this transaction sees it: its own write, else its snapshot's. */
  get(key: Bytes): Promise<Buffer | undefined> {
    return Promise.resolve().then(() => this.getSync(key))
  }

  getSync(key: Bytes): Buffer | undefined {
    this.check()
    const k = toKey(key)
    const own = this.writes.get(latin1(k))
    if (own !== undefined) {
      if (own.value === undefined || (own.expiresAt !== 0 && own.expiresAt <= this.host.clock())) return undefined
      return Buffer.from(own.value)
    }
    this.noteRead(k)
    return this.host.getSync(k, { snapshot: this.snap })
  }

  has(key: Bytes): Promise<boolean> {
    return this.get(key).then((v) => v !== undefined)
  }

  put(key: Bytes, value: Bytes, options?: EntryOptions): void {
    this.checkWritable()
    const [expiresAt, meta] = toEntryHeader(options, this.host.clock)
    this.buffer({ key: toOwnedKey(key), value: toOwnedValue(value), expiresAt, meta })
  }

  del(key: Bytes): void {
    this.checkWritable()
    this.buffer({ key: toOwnedKey(key), value: undefined, expiresAt: 0, meta: 0 })
  }

  private buffer(w: BufferedWrite): void {
    const id = latin1(w.key)
    const old = this.writes.get(id)
    const size = (x: BufferedWrite) => x.key.length + (x.value?.length ?? 0) + 10
    const bytes = this.bytes - (old ? size(old) : 0) + size(w)
    if (bytes > this.host.maxTransactionBytes) throw new TransactionTooLargeError(bytes, this.host.maxTransactionBytes)
    this.bytes = bytes
    this.writes.set(id, w)
  }

  /**
   * Entries in key order as this transaction sees them: its snapshot merged with its own writes.
   * The key range it covers counts as read, from its start to the last key it yields (to the
   * end of its range if it runs out). Range, prefix, reverse, limit, keysOnly and seek work as
   * in db.iterator(); allVersions is not offered here.
   */
  iterator(options: Omit<IteratorOptions, 'snapshot' | 'allVersions'> = {}): TransactionIterator {
    this.check()
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('iterator options must be an object')
    const range = {
      gt: options.gt === undefined ? undefined : toBound(options.gt, 'options.gt'),
      gte: options.gte === undefined ? undefined : toBound(options.gte, 'options.gte'),
      lt: options.lt === undefined ? undefined : toBound(options.lt, 'options.lt'),
      lte: options.lte === undefined ? undefined : toBound(options.lte, 'options.lte'),
      prefix: options.prefix === undefined ? undefined : toBound(options.prefix, 'options.prefix'),
    }
    const inRange = rangePredicate(range)
    const bounds = resolveBounds(range)
    const reverse = options.reverse === true
    const now = this.host.clock()
    const own = [...this.writes.entries()].filter(([, w]) => inRange(w.key)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    if (reverse) own.reverse()
    const base = this.host.iterator({ ...options, limit: -1, snapshot: this.snap, entryInfo: false })
    const limit = options.limit === undefined || options.limit < 0 ? Infinity : options.limit
    return new TransactionIterator(base, own.map(([, w]) => w), {
      reverse, limit, keysOnly: options.keysOnly === true, now, bounds,
      ranges: this.tracksReads ? this.ranges : undefined,
    })
  }

  /**
   * Writes the buffered writes atomically, or throws ConflictError (writing nothing) if a key
   * this transaction read, or a key inside a range it iterated, was committed by another after
   * its snapshot. Ends the transaction.
   */
  async commit(options: CommitOptions = {}): Promise<void> {
    this.check()
    const { host } = this
    try {
      if (this.writes.size === 0) return
      if (this.tracksReads && host.oracle.hasConflict(this.snap.seq, this.reads, this.ranges.compile())) throw new ConflictError()
      const ops = new BatchOps()
      const ids = [...this.writes.keys()].sort()
      for (const id of ids) {
        const w = this.writes.get(id)!
        if (w.value === undefined) ops.del(w.key)
        else ops.putWithHeader(w.key, w.value, w.expiresAt, w.meta)
      }
      // Registered in the same synchronous step as the check: the next commit checks against it.
      const record = host.oracle.tracking ? host.oracle.start(ops.keys) : undefined
      this.end('committed')
      await host.writeTracked(ops, options.sync, record)
    } finally {
      if (this.state === 'open') this.end('discarded')
    }
  }

  /** Drops the buffered writes and releases the snapshot. Idempotent. */
  discard(): void {
    if (this.state === 'open') this.end('discarded')
  }

  get isOpen(): boolean {
    return this.state === 'open'
  }

  /** `await using txn = ...`: a transaction still open when the scope ends is discarded, never committed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.discard()
  }

  private end(state: State): void {
    this.state = state
    if (this.tracksReads) this.host.oracle.end(this.snap.seq)
    this.snap.release()
  }

  private noteRead(key: Uint8Array): void {
    if (this.tracksReads) this.reads.add(keyFingerprint(key))
  }

  private check(): void {
    if (this.state !== 'open') throw new ClosedError(`transaction already ${this.state}`)
  }

  private checkWritable(): void {
    this.check()
    if (this.readOnly) throw new InvalidArgumentError('cannot write in a read-only transaction (db.view)')
  }
}

interface MergeSettings {
  reverse: boolean
  limit: number
  keysOnly: boolean
  now: number
  bounds: Bounds
  /** Where covered ranges are recorded; undefined when the transaction tracks no reads. */
  ranges: ReadRanges | undefined
}

/** A transaction's iterator: the snapshot's entries merged with the transaction's own writes. */
export class TransactionIterator implements AsyncIterableIterator<Entry<Buffer | undefined>>, Iterable<Entry<Buffer | undefined>> {
  private readonly base: DBIterator<Buffer | undefined>
  private readonly own: BufferedWrite[]
  private readonly s: MergeSettings
  private ownAt = 0
  private peeked: Entry<Buffer | undefined> | undefined
  private baseDone = false
  private count = 0
  private span: ReadSpan | undefined

  /** @internal */
  constructor(base: DBIterator<Buffer | undefined>, own: BufferedWrite[], settings: MergeSettings) {
    this.base = base
    this.own = own
    this.s = settings
    this.span = settings.ranges?.open(settings.bounds, settings.reverse)
  }

  /**
   * Moves so that the next entry is the first key >= target (in reverse, the last key <= target),
   * staying within the range. The keys jumped over do not count as read.
   */
  seek(target: Uint8Array | string): void {
    const t = toBound(target, 'seek target')
    this.base.seek(t)
    this.peeked = undefined
    this.baseDone = false
    const before = (k: Uint8Array) => (this.s.reverse ? Buffer.compare(k, t) > 0 : Buffer.compare(k, t) < 0)
    this.ownAt = 0
    while (this.ownAt < this.own.length && before(this.own[this.ownAt].key)) this.ownAt++
    this.span = this.s.ranges?.open(this.s.bounds, this.s.reverse, t)
  }

  private peekBase(): Entry<Buffer | undefined> | undefined {
    if (this.peeked === undefined && !this.baseDone) {
      this.peeked = this.base.nextSync()
      if (this.peeked === undefined) this.baseDone = true
    }
    return this.peeked
  }

  nextSync(): Entry<Buffer | undefined> | undefined {
    while (this.count < this.s.limit) {
      const b = this.peekBase()
      const o = this.ownAt < this.own.length ? this.own[this.ownAt] : undefined
      if (b === undefined && o === undefined) {
        this.span?.noteEnd()
        break
      }
      // c < 0: the snapshot's entry comes first; c > 0: the transaction's own write does.
      let c: number
      if (b === undefined) c = 1
      else if (o === undefined) c = -1
      else c = this.s.reverse ? Buffer.compare(o.key, b[0]) : Buffer.compare(b[0], o.key)
      if (c < 0) {
        this.peeked = undefined
        this.span?.noteKey(b![0])
        this.count++
        return b
      }
      // The transaction's own write wins over the snapshot's version of the same key.
      if (c === 0) this.peeked = undefined
      this.ownAt++
      const w = o!
      if (w.value === undefined || (w.expiresAt !== 0 && w.expiresAt <= this.s.now)) continue
      this.span?.noteKey(w.key)
      this.count++
      return [Buffer.from(w.key), this.s.keysOnly ? undefined : Buffer.from(w.value)]
    }
    this.close()
    return undefined
  }

  async next(): Promise<IteratorResult<Entry<Buffer | undefined>>> {
    const e = this.nextSync()
    return e === undefined ? { done: true, value: undefined } : { done: false, value: e }
  }

  all(): Entry<Buffer | undefined>[] {
    const out: Entry<Buffer | undefined>[] = []
    for (let e = this.nextSync(); e !== undefined; e = this.nextSync()) out.push(e)
    return out
  }

  close(): void {
    this.base.close()
  }

  async return(): Promise<IteratorResult<Entry<Buffer | undefined>>> {
    this.close()
    return { done: true, value: undefined }
  }

  /** `await using it = txn.iterator()` closes it when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
  }

  [Symbol.dispose](): void {
    this.close()
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  [Symbol.iterator](): IterableIterator<Entry<Buffer | undefined>> {
    const sync: IterableIterator<Entry<Buffer | undefined>> = {
      next: () => {
        const e = this.nextSync()
        return e === undefined ? { done: true, value: undefined } : { done: false, value: e }
      },
      return: () => {
        this.close()
        return { done: true, value: undefined }
      },
      [Symbol.iterator]: () => sync,
    }
    return sync
  }
}

export type { EntryInfo }
