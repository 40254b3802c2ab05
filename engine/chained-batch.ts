// ChainedBatch: operations gathered with put/del and written atomically by write() — db.batch()
// without arguments. It only gathers; the write goes through the database's write path.

import { InvalidArgumentError } from '../base/errors.js'
import { type Bytes, type EntryOptions, toEntryHeader, toOwnedKey, toOwnedValue } from './input.js'
import type { BatchOperation } from './api-types.js'
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

/** Adds db.batch(operations)'s operations to `ops`, checking each. */
export function addOperations(ops: BatchOps, operations: BatchOperation[], clock: () => number): void {
  if (!Array.isArray(operations)) throw new InvalidArgumentError('batch operations must be an array')
  for (const op of operations) {
    if (op === null || typeof op !== 'object') throw new InvalidArgumentError('batch operation must be an object')
    if (op.type === 'put') ops.putWithHeader(toOwnedKey(op.key), toOwnedValue(op.value), ...toEntryHeader(op, clock))
    else if (op.type === 'del') ops.del(toOwnedKey(op.key))
    else throw new InvalidArgumentError(`unknown batch operation type ${String((op as { type: unknown }).type)}`)
  }
}
