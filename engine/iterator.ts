// DBIterator: the public iterator. Iterate it with `for await` or plain `for` (every step is
// synchronous underneath), or call next()/nextSync(). Entries are [key, value] pairs of Buffers
// the caller owns; with keysOnly the value is undefined and no value is ever read.
// Breaking out of a loop closes it; otherwise call close() (an open iterator pins table files).

import { ClosedError, InvalidArgumentError } from '../base/errors.js'
import { checkOptionNames } from '../base/option-names.js'
import type { DroppedPrefix } from '../base/dropped-prefixes.js'
import { DBIteratorCore, type EntryInfo, type ValueResolver } from './db-iterator.js'
import { toBound } from './input.js'
import type { Snapshot } from './snapshot.js'

export interface IteratorOptions {
  gt?: Uint8Array | string
  gte?: Uint8Array | string
  lt?: Uint8Array | string
  lte?: Uint8Array | string
  /** Only keys that start with these bytes. */
  prefix?: Uint8Array | string
  /** Largest key first. Default false. */
  reverse?: boolean
  /** Most entries to yield. Default: no limit (-1 or Infinity mean the same). */
  limit?: number
  /** Yield keys only; values are never read. Default false. */
  keysOnly?: boolean
  /** Read at this snapshot. Default: the state when the iterator is created. */
  snapshot?: Snapshot
  /**
   * Every version of each key visible at the read point, newest first, deletions and expired
   * versions included (their value is undefined, info.deleted true). Implies entryInfo.
   */
  allVersions?: boolean
  /** Add a third element to each entry: its version, expiry, metadata byte (EntryInfo). */
  entryInfo?: boolean
}

/** Every IteratorOptions name; the type makes this fail to compile when the interface changes. */
const ITERATOR_OPTION_NAMES: ReadonlySet<string> = new Set(Object.keys({
  gt: 1, gte: 1, lt: 1, lte: 1, prefix: 1, reverse: 1, limit: 1, keysOnly: 1, snapshot: 1, allVersions: 1, entryInfo: 1,
} satisfies Record<keyof IteratorOptions, 1>))

export type Entry<V> = [key: Buffer, value: V, info?: EntryInfo]

export class DBIterator<V> implements AsyncIterableIterator<Entry<V>>, Iterable<Entry<V>> {
  private readonly core: DBIteratorCore
  private abandoned = false

  /** @internal use db.iterator() */
  constructor(
    source: ConstructorParameters<typeof DBIteratorCore>[0],
    options: IteratorOptions,
    readSeq: number,
    visibility: { now: number; droppedPrefixes: readonly DroppedPrefix[] },
    resolve: ValueResolver,
    onClose: () => void,
  ) {
    if (options === null || typeof options !== 'object') throw new InvalidArgumentError('iterator options must be an object')
    checkOptionNames('iterator options', options, ITERATOR_OPTION_NAMES)
    const bound = (name: 'gt' | 'gte' | 'lt' | 'lte' | 'prefix') =>
      options[name] === undefined ? undefined : toBound(options[name], `options.${name}`)
    const limit = options.limit ?? -1
    if (typeof limit !== 'number' || Number.isNaN(limit)) throw new InvalidArgumentError('options.limit must be a number')
    this.core = new DBIteratorCore(
      source,
      {
        gt: bound('gt'), gte: bound('gte'), lt: bound('lt'), lte: bound('lte'), prefix: bound('prefix'),
        reverse: options.reverse === true,
        limit: limit < 0 ? Infinity : limit,
        keysOnly: options.keysOnly === true,
        readSeq,
        allVersions: options.allVersions === true,
        entryInfo: options.allVersions === true || options.entryInfo === true,
        now: visibility.now,
        droppedPrefixes: visibility.droppedPrefixes,
      },
      resolve,
      onClose,
    )
  }

  /** The next entry, synchronously, or undefined at the end (the iterator then closes itself). */
  nextSync(): Entry<V> | undefined {
    if (this.abandoned) throw new ClosedError('the database was closed under this iterator')
    if (!this.core.advance()) return undefined
    const key = this.core.key!
    if (this.core.info !== undefined) return [key, this.core.value as V, this.core.info]
    return [key, this.core.value as V]
  }

  // Not an async function: a settled promise per step, none of an async function's machinery (a
  // `for await` loop still awaits each one; nextv() and a plain `for` take no promise at all).
  next(): Promise<IteratorResult<Entry<V>>> {
    try {
      return Promise.resolve(this.step())
    } catch (err) {
      return Promise.reject(err)
    }
  }

  private step(): IteratorResult<Entry<V>> {
    const e = this.nextSync()
    return e === undefined ? { done: true, value: undefined } : { done: false, value: e }
  }

  /**
   * Moves so that the next entry is the first key >= target (in reverse, the last key <= target),
   * staying within the iterator's range.
   */
  seek(target: Uint8Array | string): void {
    if (this.abandoned) throw new ClosedError('the database was closed under this iterator')
    this.core.seek(toBound(target, 'seek target'))
  }

  /** Reads up to `n` entries at once (abstract-level's nextv). */
  nextv(n: number): Entry<V>[] {
    const out: Entry<V>[] = []
    while (out.length < n) {
      const e = this.nextSync()
      if (e === undefined) break
      out.push(e)
    }
    return out
  }

  /** Reads every remaining entry. */
  all(): Entry<V>[] {
    return this.nextv(Infinity)
  }

  async return(): Promise<IteratorResult<Entry<V>>> {
    this.close()
    return { done: true, value: undefined }
  }

  close(): void {
    this.core.close()
  }

  /** @internal the database is closing: later steps throw ClosedError rather than end quietly. */
  abandon(): void {
    this.abandoned = true
    this.core.close()
  }

  get closed(): boolean {
    return this.core.isClosed
  }

  /** `await using it = db.iterator()` closes it when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close()
  }

  /** `using it = db.iterator()`: the same, synchronously. */
  [Symbol.dispose](): void {
    this.close()
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  /** Plain `for...of`: the same entries without a promise per step. */
  [Symbol.iterator](): IterableIterator<Entry<V>> {
    const sync: IterableIterator<Entry<V>> = {
      next: () => this.step(),
      return: () => {
        this.close()
        return { done: true, value: undefined }
      },
      [Symbol.iterator]: () => sync,
    }
    return sync
  }
}
