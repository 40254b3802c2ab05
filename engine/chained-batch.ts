// ChainedBatch: operations gathered with put/del and written atomically by write() — db.batch()
// without arguments. It only gathers; the write goes through the database's write path.

import { InvalidArgumentError } from '../base/errors.js'
import { type Bytes, type EntryOptions, toEntryHeader, toOwnedKey, toOwnedValue } from './input.js'
import { BatchOps } from './write-batch.js'

/** What a chained batch writes through (the DB). */
export interface BatchTarget {
  readonly clock: () => number
  writeBatchOps(ops: BatchOps, options: { sync?: boolean } | undefined): Promise<void>
}

/** Operations gathered with put/del and written atomically by write(). */
export class ChainedBatch {
  private readonly db: BatchTarget
  private ops = new BatchOps()
  private written = false

  /** @internal use db.batch() */
  constructor(db: BatchTarget) {
    this.db = db
  }

  put(key: Bytes, value: Bytes, options?: EntryOptions): this {
    this.check()
    this.ops.putWithHeader(toOwnedKey(key), toOwnedValue(value), ...toEntryHeader(options, this.db.clock))
    return this
  }

  del(key: Bytes): this {
    this.check()
    this.ops.del(toOwnedKey(key))
    return this
  }

  clear(): this {
    this.check()
    this.ops = new BatchOps()
    return this
  }

  get length(): number {
    return this.ops.length
  }

  async write(options?: { sync?: boolean }): Promise<void> {
    this.check()
    this.written = true
    return this.db.writeBatchOps(this.ops, options)
  }

  private check(): void {
    if (this.written) throw new InvalidArgumentError('batch was already written')
  }
}
