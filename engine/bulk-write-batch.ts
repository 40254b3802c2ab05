// WriteBatch for bulk loads (BadgerDB's WriteBatch): put and del as fast as the caller can, with
// no size limit. It commits itself in chunks as they fill, one chunk in flight while the next
// fills, so a load is not atomic as a whole (each chunk is). flush() commits the rest and waits.
// A failed chunk makes every later call throw its error: nothing after it is written.

import { InvalidArgumentError } from '../base/errors.js'
import { type Bytes, type EntryOptions, toEntryHeader, toOwnedKey, toOwnedValue } from './input.js'
import { BatchOps } from './write-batch.js'

export interface WriteBatchHost {
  clock: () => number
  write(ops: BatchOps, sync: boolean | undefined): Promise<void>
}

/** A chunk is committed once it holds this many bytes of keys and values. */
const CHUNK_BYTES = 4 * 1024 * 1024

export class WriteBatch {
  private readonly host: WriteBatchHost
  private readonly sync: boolean | undefined
  private ops = new BatchOps()
  private inFlight: Promise<void> = Promise.resolve()
  private error: unknown = undefined
  private done = false

  /** @internal use db.writeBatch() */
  constructor(host: WriteBatchHost, sync: boolean | undefined) {
    this.host = host
    this.sync = sync
  }

  /** Adds a put; resolves at once, or after the previous chunk when this one just filled. */
  async put(key: Bytes, value: Bytes, options?: EntryOptions): Promise<void> {
    this.check()
    this.ops.putWithHeader(toOwnedKey(key), toOwnedValue(value), ...toEntryHeader(options, this.host.clock))
    if (this.ops.bytes >= CHUNK_BYTES) await this.commitChunk()
  }

  async del(key: Bytes): Promise<void> {
    this.check()
    this.ops.del(toOwnedKey(key))
    if (this.ops.bytes >= CHUNK_BYTES) await this.commitChunk()
  }

  /** Commits what is left and waits for every chunk. The batch cannot be used afterwards. */
  async flush(): Promise<void> {
    this.check()
    this.done = true
    await this.commitChunk()
    await this.inFlight
    if (this.error !== undefined) throw this.error
  }

  /** Waits for the chunk in flight, then sends this one (keeping at most one in flight). */
  private async commitChunk(): Promise<void> {
    await this.inFlight
    if (this.error !== undefined) throw this.error
    if (this.ops.length === 0) return
    const ops = this.ops
    this.ops = new BatchOps()
    this.inFlight = this.host.write(ops, this.sync).catch((err) => {
      this.error ??= err
    })
  }

  private check(): void {
    if (this.error !== undefined) throw this.error
    if (this.done) throw new InvalidArgumentError('write batch was already flushed')
  }
}
