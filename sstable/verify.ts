// Full check of a table against its own metadata: every block re-read from the file (not the
// cache) and checksummed, every entry decoded, keys strictly increasing and inside their index
// bounds, no user key missing from the filter, and counts, key range and seq range matching
// the properties block. Used by TableReader.verify() and the tests.

import { CorruptionError } from '../base/errors.js'
import type { ReadableFile } from '../base/fs.js'
import { Kind, MAX_SEQ, bytesEqual, compareInternal, decodeInternalKey } from '../base/internal-key.js'
import { Block, BlockIter } from './block-iter.js'
import type { TableBloomFilter } from './bloom.js'
import { type BlockHandle, type Footer, type TableProperties, FOOTER_SIZE, HEADER_SIZE, decodeFooter, decodeHeader, encodeFooter } from './format.js'
import { readBlockContents } from './block-read.js'

/** What verification needs of an open table (TableReader is one); kept narrow so this file does not import the reader. */
export interface VerifiableTable {
  readonly path: string
  readonly footer: Footer
  readonly properties: TableProperties
  readonly blockCount: number
  blockHandle(i: number): BlockHandle
  indexKey(i: number): Uint8Array
}

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const x = decodeInternalKey(a)
  const y = decodeInternalKey(b)
  return compareInternal(x.userKey, x.seq, x.kind, y.userKey, y.seq, y.kind)
}

export function verifyTable(reader: VerifiableTable, file: ReadableFile, filter: TableBloomFilter | undefined): void {
  const path = reader.path
  const size = file.size
  decodeHeader(path, file.read(0, HEADER_SIZE))
  const footer = decodeFooter(path, file.read(size - FOOTER_SIZE, FOOTER_SIZE), size)
  if (!bytesEqual(encodeFooter(footer), encodeFooter(reader.footer))) {
    throw new CorruptionError(path, size - FOOTER_SIZE, 'footer differs from the one read at open')
  }
  for (const h of [footer.index, footer.properties, footer.filter]) if (h.length > 0) readBlockContents(file, h)

  const props = reader.properties
  const it = new BlockIter(path)
  let prev: Uint8Array | undefined
  let entries = 0
  let tombstones = 0
  let minSeq = MAX_SEQ
  let maxSeq = 0
  let rawKeyBytes = 0
  let rawValueBytes = 0
  let smallest: Uint8Array | undefined
  for (let i = 0; i < reader.blockCount; i++) {
    const h = reader.blockHandle(i)
    const bad = (what: string): never => {
      throw new CorruptionError(path, h.offset, `data block ${i}: ${what}`)
    }
    it.reset(Block.parse(path, h.offset, readBlockContents(file, h)), h.offset)
    let inBlock = 0
    for (it.first(); it.valid(); it.next()) {
      const key = it.internalKey().slice()
      if (prev !== undefined && compareKeys(prev, key) >= 0) bad(`entry ${inBlock} is not after the previous entry`)
      if (inBlock === 0 && i > 0 && compareKeys(reader.indexKey(i - 1), key) >= 0) bad('first entry is not after the previous index key')
      if (compareKeys(key, reader.indexKey(i)) > 0) bad(`entry ${inBlock} is after the block's index key`)
      const userKey = it.userKey()
      const newUserKey = prev === undefined || !bytesEqual(prev.subarray(0, prev.length - 8), userKey)
      if (newUserKey && filter !== undefined && !filter.mayContain(userKey)) bad(`entry ${inBlock}'s key is missing from the filter`)
      const seq = it.seq()
      if (it.kind() === Kind.Delete) tombstones++
      if (seq < minSeq) minSeq = seq
      if (seq > maxSeq) maxSeq = seq
      rawKeyBytes += userKey.length
      rawValueBytes += it.value().length
      smallest ??= userKey.slice()
      prev = key
      inBlock++
      entries++
    }
    if (inBlock === 0) bad('empty')
  }

  const at = footer.properties.offset
  const expect = (what: string, got: number, want: number): void => {
    if (got !== want) throw new CorruptionError(path, at, `properties say ${what} ${want}, the data has ${got}`)
  }
  expect('entryCount', entries, props.entryCount)
  expect('tombstoneCount', tombstones, props.tombstoneCount)
  expect('rawKeyBytes', rawKeyBytes, props.rawKeyBytes)
  expect('rawValueBytes', rawValueBytes, props.rawValueBytes)
  if (entries > 0) {
    expect('minSeq', minSeq, props.minSeq)
    expect('maxSeq', maxSeq, props.maxSeq)
  }
  const largest = prev === undefined ? new Uint8Array(0) : prev.subarray(0, prev.length - 8)
  if (!bytesEqual(smallest ?? new Uint8Array(0), props.smallestKey) || !bytesEqual(largest, props.largestKey)) {
    throw new CorruptionError(path, at, 'properties key range differs from the data')
  }
}
