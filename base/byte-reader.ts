// ByteReader: reads varints and length-prefixed byte strings from a decoded record, turning any
// overrun into the caller's corruption error. Shared by the decoders of version edits, write
// batches and table properties, which differ only in their fields.

import { readVarint } from './varint.js'

export class ByteReader {
  private readonly data: Uint8Array
  private readonly fail: (what: string) => never
  private readonly cursor = { offset: 0 }

  /** `fail` throws the caller's CorruptionError for a description of what went wrong. */
  constructor(data: Uint8Array, fail: (what: string) => never, offset = 0) {
    this.data = data
    this.fail = fail
    this.cursor.offset = offset
  }

  get offset(): number {
    return this.cursor.offset
  }

  /** True while bytes remain. */
  get more(): boolean {
    return this.cursor.offset < this.data.length
  }

  u8(): number {
    if (this.cursor.offset >= this.data.length) this.fail('record ends early')
    return this.data[this.cursor.offset++]
  }

  varint(): number {
    const v = readVarint(this.data, this.cursor)
    return v < 0 ? this.fail('truncated varint') : v
  }

  /** A varint length, then that many bytes as a view into the record (valid as long as it is). */
  lengthPrefixedView(what: string): Uint8Array {
    const start = this.skipLengthPrefixed(what)
    return this.data.subarray(start, this.cursor.offset)
  }

  /**
   * As lengthPrefixedView, but without a view: moves past the bytes and returns where they start
   * (they end at `offset`). For a decoder that hands on offsets rather than views.
   */
  skipLengthPrefixed(what: string): number {
    const n = this.varint()
    const start = this.cursor.offset
    if (start + n > this.data.length) this.fail(`${what} runs past the end`)
    this.cursor.offset = start + n
    return start
  }

  /** As lengthPrefixedView, but a copy the caller owns. */
  lengthPrefixed(what: string): Uint8Array {
    return this.lengthPrefixedView(what).slice()
  }

  /** Fails unless every byte was read. */
  end(): void {
    if (this.cursor.offset !== this.data.length) this.fail(`${this.data.length - this.cursor.offset} trailing bytes`)
  }
}
