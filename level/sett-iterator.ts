// SettIterator: abstract-level's iterator over a Sett DBIterator. Every step is synchronous
// underneath (Sett serves blocks with synchronous reads), so _next/_nextv/_all return settled
// promises and no abort signal can land mid-call (the manifest does not claim signals).
//
// Lifetime: the iterator reads at one sequence number, the caller's explicit snapshot or one it
// takes when created (abstract-level's implicit snapshot), and releases its own at _close().
// Seeking: abstract-level lets seek() restart an iterator that reached its end, and a target
// outside the range ends it. A Sett iterator closes itself at its end and clamps targets into
// its range, so this class checks the target against the range first and, after an end,
// reopens a Sett iterator at the same snapshot (with the limit left) before seeking it.

import { AbstractIterator, type AbstractSnapshot } from 'abstract-level'
import type { DB, DBIterator, Snapshot } from '../engine/index.js'
import { toLevelError } from './errors.js'
import { type LevelRangeOptions, type StoreRange, rangeContains, settRange, storeRange } from './range.js'
import { settSnapshotOf } from './sett-snapshot.js'
import { type Format, fromStoreKey, fromStoreValue, toStoreKey } from './store-key.js'

/** What abstract-level passes to _iterator(): encoded range, normalized flags. */
export interface PrivateIteratorOptions extends LevelRangeOptions {
  reverse: boolean
  /** -1 for no limit. */
  limit: number
  keys: boolean
  values: boolean
  keyEncoding: Format
  valueEncoding: Format
  snapshot?: AbstractSnapshot
}

type Data = string | Buffer | Uint8Array
export type LevelEntry = [key: Data | undefined, value: Data | undefined]

export class SettIterator extends AbstractIterator<object, Data, Data> {
  readonly #db: DB
  readonly #range: StoreRange
  readonly #reverse: boolean
  readonly #keys: boolean
  readonly #values: boolean
  readonly #keyFormat: Format
  readonly #valueFormat: Format
  readonly #snapshot: Snapshot
  readonly #ownSnapshot: boolean
  /** Opened at the first read, reopened by a seek after the end. */
  #inner: DBIterator<Buffer | undefined> | undefined = undefined
  /** A seek applied at the next read, when the snapshot is known to be open. */
  #seekTarget: Buffer | undefined = undefined
  /** The last seek target lay outside the range: nothing to yield until the next seek. */
  #outOfRange = false

  constructor(level: object, db: DB, options: PrivateIteratorOptions) {
    super(level, options)
    this.#db = db
    this.#range = storeRange(options)
    this.#reverse = options.reverse
    this.#keys = options.keys
    this.#values = options.values
    this.#keyFormat = options.keyEncoding
    this.#valueFormat = options.valueEncoding
    const explicit = settSnapshotOf(options.snapshot)
    this.#snapshot = explicit ?? db.snapshot()
    this.#ownSnapshot = explicit === undefined
  }

  #source(): DBIterator<Buffer | undefined> | undefined {
    if (this.#outOfRange) return undefined
    let it = this.#inner
    if (it === undefined || (it.closed && this.#seekTarget !== undefined)) {
      const left = this.limit - this.count
      const options = {
        ...settRange(this.#range),
        reverse: this.#reverse,
        limit: left === Infinity ? -1 : left,
        snapshot: this.#snapshot,
      }
      it = this.#inner = this.#values ? this.#db.iterator(options) : this.#db.iterator({ ...options, keysOnly: true })
    }
    if (this.#seekTarget !== undefined) {
      it.seek(this.#seekTarget)
      this.#seekTarget = undefined
    }
    return it
  }

  #entry(key: Buffer, value: Buffer | undefined): LevelEntry {
    return [
      this.#keys ? fromStoreKey(key, this.#keyFormat) : undefined,
      this.#values && value !== undefined ? fromStoreValue(value, this.#valueFormat) : undefined,
    ]
  }

  async _next(): Promise<LevelEntry | undefined> {
    try {
      const e = this.#source()?.nextSync()
      return e === undefined ? undefined : this.#entry(e[0], e[1])
    } catch (err) {
      throw toLevelError(err)
    }
  }

  async _nextv(size: number): Promise<LevelEntry[]> {
    try {
      const it = this.#source()
      const out: LevelEntry[] = []
      if (it === undefined) return out
      while (out.length < size) {
        const e = it.nextSync()
        if (e === undefined) break
        out.push(this.#entry(e[0], e[1]))
      }
      return out
    } catch (err) {
      throw toLevelError(err)
    }
  }

  async _all(): Promise<LevelEntry[]> {
    return this._nextv(Infinity)
  }

  _seek(target: string | Uint8Array): void {
    const t = toStoreKey(target)
    this.#outOfRange = !rangeContains(this.#range, t)
    this.#seekTarget = this.#outOfRange ? undefined : t
  }

  async _close(): Promise<void> {
    this.#inner?.close()
    if (this.#ownSnapshot) this.#snapshot.release()
  }
}
