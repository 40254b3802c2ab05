// The table file's fixed parts: header, block trailer, block handles, properties and footer,
// each as an encode/decode pair. Every integer is little-endian. docs/format.md (Tables) is the
// long form of this comment, with a worked example in hex.
//
//   offset 0  +--------------------------------------------+
//             | header (16 B): magic "sett-sst", version,  |
//             |   masked CRC-32 of the 12 bytes before it  |
//             +--------------------------------------------+
//             | data block 0 | trailer (5 B)               |  entries in internal-key order,
//             | data block 1 | trailer                     |  ~blockSize bytes each before
//             | ...                                        |  compression
//             +--------------------------------------------+
//             | filter block | trailer                     |  bloom filter over user keys (bloom.ts)
//             | index block  | trailer                     |  one entry per data block
//             | properties   | trailer                     |  counts, key range, seq range
//             +--------------------------------------------+
//             | footer (52 B): handles of index, filter,   |
//             |   properties; version; checksum; magic     |
//   file end  +--------------------------------------------+
//
// Block trailer: compression type (1 B: 0 none, 1 lz4, 2 lz4 chunks: version 2) + masked CRC-32
// (u32) over the stored bytes followed by the type byte. A handle's length excludes the trailer.
// An lz4 block is a u32 LE uncompressed length + one raw LZ4 block (lz4-napi's block output;
// lz4.ts writes the same); an lz4-chunks block is laid out in lz4-chunks.ts.
//
// Footer: index offset u64, index length u32, filter offset u64, filter length u32 (0 when
// the table has no filter), properties offset u64, properties length u32, format version u32,
// masked CRC-32 of the 40 bytes before it (u32), magic (8 B). The magic sits last so the final
// 8 bytes of any file tell whether it is a table.
//
// Never change a constant or a layout marked "on disk": add a format version instead.

import { ByteReader } from '../base/byte-reader.js'
import { checksum, crc32, crc32Byte, maskChecksum } from '../base/checksum.js'
import { CorruptionError } from '../base/errors.js'
import { readVarint, varintLength, writeVarint } from '../base/varint.js'

/** On disk: "sett-sst" in ASCII, at the start of the header and the end of the footer. */
export const TABLE_MAGIC = Uint8Array.of(0x73, 0x65, 0x74, 0x74, 0x2d, 0x73, 0x73, 0x74)
/**
 * On disk. Version 1: the layout above. Version 2: the same, and data blocks may be stored as
 * type 2, lz4 chunks (lz4-chunks.ts). Version 3: version 2 with a blocked bloom filter (filter
 * version 2, bloom.ts) in place of the plain one; new tables are written as version 3.
 */
export const FORMAT_VERSION = 3
export const SUPPORTED_VERSIONS: readonly number[] = [1, 2, 3]

/** On disk: the bloom filter version (bloom.ts) a table of this format version holds. */
export function filterVersionOf(tableVersion: number): 1 | 2 {
  return tableVersion >= 3 ? 2 : 1
}

export const HEADER_SIZE = 16
export const FOOTER_SIZE = 52
export const BLOCK_TRAILER_SIZE = 5

/** On disk: the compression type byte of a block trailer. */
export const Compression = { None: 0, Lz4: 1, Lz4Chunks: 2 } as const
export type CompressionType = (typeof Compression)[keyof typeof Compression]

/** Where a block sits: `length` counts the stored bytes, not the 5-byte trailer after them. */
export interface BlockHandle {
  offset: number
  length: number
}

export interface Footer {
  index: BlockHandle
  /** length 0 when the table was written without a filter. */
  filter: BlockHandle
  properties: BlockHandle
  version: number
}

/** What a table holds, from its properties block (and its size). */
export interface TableProperties {
  /** User key of the first entry; empty for an empty table. */
  smallestKey: Uint8Array
  /** User key of the last entry; empty for an empty table. */
  largestKey: Uint8Array
  entryCount: number
  /** Entries of kind Delete. */
  tombstoneCount: number
  /** Smallest and largest sequence number; both 0 for an empty table. */
  minSeq: number
  maxSeq: number
  /** Sum of user-key lengths over all entries (trailers not counted). */
  rawKeyBytes: number
  /** Sum of value lengths over all entries, before compression. */
  rawValueBytes: number
  dataBlockCount: number
  /** Bytes in the file. Not stored in the properties block: the reader takes the file's size. */
  fileSize: number
}

/** The properties block's contents: the properties less fileSize, plus the format version. */
export type StoredProperties = Omit<TableProperties, 'fileSize'> & { version: number }

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
}

function setU64(dv: DataView, at: number, v: number): void {
  dv.setUint32(at, v % 0x1_0000_0000, true)
  dv.setUint32(at + 4, Math.floor(v / 0x1_0000_0000), true)
}

function getU64(dv: DataView, at: number): number {
  return dv.getUint32(at + 4, true) * 0x1_0000_0000 + dv.getUint32(at, true)
}

function magicAt(buf: Uint8Array, at: number): boolean {
  for (let i = 0; i < TABLE_MAGIC.length; i++) if (buf[at + i] !== TABLE_MAGIC[i]) return false
  return true
}

// ---- header ----

export function encodeHeader(version = FORMAT_VERSION): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE)
  out.set(TABLE_MAGIC, 0)
  const dv = view(out)
  dv.setUint32(8, version, true)
  dv.setUint32(12, checksum(out.subarray(0, 12)), true)
  return out
}

/** Checks magic, checksum and version; returns the version. */
export function decodeHeader(file: string, buf: Uint8Array): number {
  if (buf.length < HEADER_SIZE) throw new CorruptionError(file, 0, `header is ${buf.length} bytes, want ${HEADER_SIZE}`)
  if (!magicAt(buf, 0)) throw new CorruptionError(file, 0, 'bad magic in header: not a table file')
  const dv = view(buf)
  if (dv.getUint32(12, true) !== checksum(buf.subarray(0, 12))) {
    throw new CorruptionError(file, 0, 'header checksum mismatch')
  }
  const version = dv.getUint32(8, true)
  if (!SUPPORTED_VERSIONS.includes(version)) throw new CorruptionError(file, 8, `unsupported table format version ${version}`)
  return version
}

// ---- footer ----

export function encodeFooter(footer: Footer): Uint8Array {
  const out = new Uint8Array(FOOTER_SIZE)
  const dv = view(out)
  setU64(dv, 0, footer.index.offset)
  dv.setUint32(8, footer.index.length, true)
  setU64(dv, 12, footer.filter.offset)
  dv.setUint32(20, footer.filter.length, true)
  setU64(dv, 24, footer.properties.offset)
  dv.setUint32(32, footer.properties.length, true)
  dv.setUint32(36, footer.version, true)
  dv.setUint32(40, checksum(out.subarray(0, 40)), true)
  out.set(TABLE_MAGIC, 44)
  return out
}

/**
 * Decodes the last FOOTER_SIZE bytes of a file of `fileSize` bytes, checking magic, checksum,
 * version and that every handle lies between the header and the footer.
 */
export function decodeFooter(file: string, buf: Uint8Array, fileSize: number): Footer {
  const at = fileSize - FOOTER_SIZE
  if (buf.length !== FOOTER_SIZE) throw new CorruptionError(file, at, `footer is ${buf.length} bytes, want ${FOOTER_SIZE}`)
  if (!magicAt(buf, 44)) throw new CorruptionError(file, at + 44, 'bad magic in footer: not a table file or truncated')
  const dv = view(buf)
  if (dv.getUint32(40, true) !== checksum(buf.subarray(0, 40))) throw new CorruptionError(file, at, 'footer checksum mismatch')
  const version = dv.getUint32(36, true)
  if (!SUPPORTED_VERSIONS.includes(version)) throw new CorruptionError(file, at + 36, `unsupported table format version ${version}`)
  const footer: Footer = {
    index: { offset: getU64(dv, 0), length: dv.getUint32(8, true) },
    filter: { offset: getU64(dv, 12), length: dv.getUint32(20, true) },
    properties: { offset: getU64(dv, 24), length: dv.getUint32(32, true) },
    version,
  }
  for (const [name, h] of [['index', footer.index], ['filter', footer.filter], ['properties', footer.properties]] as const) {
    if (name === 'filter' && h.length === 0 && h.offset === 0) continue
    checkHandle(file, h, at, `${name} handle`)
  }
  return footer
}

/** Throws unless the block and its trailer lie in [HEADER_SIZE, limit). */
export function checkHandle(file: string, h: BlockHandle, limit: number, what: string): void {
  if (!(h.offset >= HEADER_SIZE && h.offset + h.length + BLOCK_TRAILER_SIZE <= limit)) {
    throw new CorruptionError(file, h.offset, `${what} ${h.offset}+${h.length} lies outside the blocks (end ${limit})`)
  }
}

// ---- block handles as stored in the index: varint offset, varint length ----

export function encodedHandleLength(h: BlockHandle): number {
  return varintLength(h.offset) + varintLength(h.length)
}

export function encodeHandle(h: BlockHandle, out: Uint8Array, at: number): number {
  return writeVarint(out, writeVarint(out, at, h.offset), h.length)
}

/** Decodes a handle that must fill `buf` exactly; undefined when it does not. */
export function decodeHandle(buf: Uint8Array): BlockHandle | undefined {
  const cursor = { offset: 0 }
  const offset = readVarint(buf, cursor)
  const length = offset < 0 ? -1 : readVarint(buf, cursor)
  if (length < 0 || cursor.offset !== buf.length) return undefined
  return { offset, length }
}

// ---- block trailer ----

/** The masked CRC-32 over `stored` followed by the type byte. */
export function blockChecksum(stored: Uint8Array, type: number): number {
  return maskChecksum(crc32Byte(type, crc32(stored)))
}

/** blockChecksum of raw[0, length) with type raw[length], in one pass over bytes read together. */
function trailerChecksum(raw: Uint8Array, length: number): number {
  return maskChecksum(crc32(raw.subarray(0, length + 1)))
}

/** Writes the 5-byte trailer for `stored` at `out[at]`. */
export function encodeBlockTrailer(stored: Uint8Array, type: number, out: Uint8Array, at: number): void {
  out[at] = type
  // Byte by byte: a DataView per block written was garbage per block.
  const c = blockChecksum(stored, type)
  out[at + 1] = c & 255
  out[at + 2] = (c >>> 8) & 255
  out[at + 3] = (c >>> 16) & 255
  out[at + 4] = (c >>> 24) & 255
}

/**
 * Checks the trailer of a block read with it (`raw[0, read)` = stored bytes + trailer; `read`
 * defaults to raw.length, and a reader's scratch buffer may hold more) and returns the
 * compression type. Nothing in `raw` may be used before this returns.
 */
export function checkBlockTrailer(file: string, offset: number, raw: Uint8Array, length: number, read = raw.length): number {
  if (read !== length + BLOCK_TRAILER_SIZE) {
    throw new CorruptionError(file, offset, `block runs past the end of the file (${read} of ${length + BLOCK_TRAILER_SIZE} bytes)`)
  }
  const type = raw[length]
  const at = length + 1
  const stored = (raw[at] | (raw[at + 1] << 8) | (raw[at + 2] << 16) | (raw[at + 3] << 24)) >>> 0
  if (stored !== trailerChecksum(raw, length)) {
    throw new CorruptionError(file, offset, 'block checksum mismatch')
  }
  return type
}

// ---- properties: version, seven counts as varints, then the two keys length-prefixed ----

export function encodeProperties(p: StoredProperties): Uint8Array {
  const nums = [p.version, p.entryCount, p.tombstoneCount, p.minSeq, p.maxSeq, p.rawKeyBytes, p.rawValueBytes, p.dataBlockCount]
  let size = 0
  for (const n of nums) size += varintLength(n)
  size += varintLength(p.smallestKey.length) + p.smallestKey.length + varintLength(p.largestKey.length) + p.largestKey.length
  const out = new Uint8Array(size)
  let at = 0
  for (const n of nums) at = writeVarint(out, at, n)
  at = writeVarint(out, at, p.smallestKey.length)
  out.set(p.smallestKey, at)
  at = writeVarint(out, at + p.smallestKey.length, p.largestKey.length)
  out.set(p.largestKey, at)
  return out
}

/** `offset` is the block's offset in the file, for error messages. Keys are copied out. */
export function decodeProperties(file: string, offset: number, buf: Uint8Array): StoredProperties {
  const bad = (what: string): never => {
    throw new CorruptionError(file, offset, `properties block: ${what}`)
  }
  const r = new ByteReader(buf, bad)
  const num = (): number => r.varint()
  const p: StoredProperties = {
    version: num(), entryCount: num(), tombstoneCount: num(), minSeq: num(), maxSeq: num(),
    rawKeyBytes: num(), rawValueBytes: num(), dataBlockCount: num(),
    smallestKey: r.lengthPrefixed('smallest key'), largestKey: r.lengthPrefixed('largest key'),
  }
  r.end()
  if (!SUPPORTED_VERSIONS.includes(p.version)) bad(`unsupported version ${p.version}`)
  if (p.tombstoneCount > p.entryCount) bad('more tombstones than entries')
  return p
}
