// Write batches: the operations of one atomic write, and their encoding as a WAL record payload.
//
// WAL payload (format version 1), all integers unsigned LEB128 varints:
//   u8 version (= 1) | varint firstSeq | varint count | count × entry
//   entry = u8 kind | varint keyLength | key | (kind != Delete: varint valueLength | value)
// Entry i has sequence number firstSeq + i. One record may hold several callers' batches (a group
// commit); each record is all-or-nothing on recovery, so each batch is too.
//
// Format version 3 is version 1 with a claim after the count: how far the value log was durable
// when the record was written (the active file's number and synced length). Recovery checks it:
// a value-log file shorter than a claim lost synced bytes, which is damage, not a crash.
//   u8 version (= 3) | varint firstSeq | varint count | varint claimFile | varint claimEnd | entries
//
// Format version 2 carries a sequence number per entry, for value-log GC, which moves entries to
// a new value-log file under their original sequence numbers:
//   u8 version (= 2) | varint count | count × (u8 kind | varint seq | varint keyLength | key |
//                                              varint valueLength | value)
// Kinds 3 and 4 (an expiry/metadata header before the value or pointer, base/entry-value.ts) may
// appear in any format; a relocation's kind is 2 or 4.

import { CorruptionError } from '../base/errors.js'
import { encodeHeaderedValue, hasHeader, isPointerKind, isValidHeaderedValue } from '../base/entry-value.js'
import { Kind, isKnownKind } from '../base/internal-key.js'
import { ByteReader } from '../base/byte-reader.js'
import { varintLength, writeVarint } from '../base/varint.js'

export const BATCH_FORMAT_VERSION = 1
export const RELOCATION_FORMAT_VERSION = 2
export const CLAIMING_BATCH_FORMAT_VERSION = 3

/** How far the value log was durable when a record was written. */
export interface ValueLogClaim {
  fileNumber: number
  end: number
}

/** Operations in columns, so a batch of many puts allocates three arrays, not an object per op. */
export class BatchOps {
  // Not readonly: a batch's first op replaces the empty arrays by one-element literals (a push
  // onto an empty array reserves room for 17, and most batches are one put or del).
  kinds: number[] = []
  keys: Uint8Array[] = []
  values: Uint8Array[] = []
  /** Bytes of keys and values, for memtable accounting and group sizing. */
  bytes = 0
  /** The sequence number of the first op, once the write queue has committed it. */
  firstSeq = 0

  put(key: Uint8Array, value: Uint8Array): void {
    this.add(Kind.Value, key, value)
    this.bytes += key.length + value.length
  }

  private add(kind: number, key: Uint8Array, value: Uint8Array): void {
    if (this.kinds.length === 0) {
      this.kinds = [kind]
      this.keys = [key]
      this.values = [value]
    } else {
      this.kinds.push(kind)
      this.keys.push(key)
      this.values.push(value)
    }
  }

  /** A put with an expiry time (ms since the epoch, 0 = never) and a user metadata byte. */
  putWithHeader(key: Uint8Array, value: Uint8Array, expiresAt: number, meta: number): void {
    if (expiresAt === 0 && meta === 0) return this.put(key, value)
    const stored = encodeHeaderedValue(expiresAt, meta, value)
    this.add(Kind.ValueWithHeader, key, stored)
    this.bytes += key.length + stored.length
  }

  del(key: Uint8Array): void {
    this.add(Kind.Delete, key, EMPTY)
    this.bytes += key.length
  }

  get length(): number {
    return this.kinds.length
  }
}

const EMPTY: Uint8Array = new Uint8Array(0)

/**
 * Encodes the ops of several batches as one payload whose first entry gets `firstSeq`, with the
 * value log's durable end when there is one (format 3), else format 1.
 */
export function encodeBatchRecord(firstSeq: number, batches: readonly BatchOps[], claim?: ValueLogClaim): Uint8Array {
  const out = new Uint8Array(batchRecordSize(firstSeq, batches, claim))
  encodeBatchRecordInto(out, 0, firstSeq, batches, claim)
  return out
}

/** Bytes of encodeBatchRecord's payload for these arguments. */
export function batchRecordSize(firstSeq: number, batches: readonly BatchOps[], claim?: ValueLogClaim): number {
  let count = 0
  let size = 1 + varintLength(firstSeq)
  for (let g = 0; g < batches.length; g++) {
    const b = batches[g]
    const { kinds, keys, values } = b
    count += kinds.length
    for (let i = 0; i < kinds.length; i++) {
      const k = keys[i].length
      size += 1 + varintLength(k) + k
      if (kinds[i] !== Kind.Delete) size += varintLength(values[i].length) + values[i].length
    }
  }
  size += varintLength(count)
  if (claim) size += varintLength(claim.fileNumber) + varintLength(claim.end)
  return size
}

/**
 * encodeBatchRecord's payload written into `out` at `at` (the write path encodes it straight
 * into the WAL's frame buffer). Returns the offset after it.
 * requires: batchRecordSize(firstSeq, batches, claim) bytes of room.
 */
export function encodeBatchRecordInto(out: Uint8Array, at: number, firstSeq: number, batches: readonly BatchOps[], claim?: ValueLogClaim): number {
  let count = 0
  for (let g = 0; g < batches.length; g++) count += batches[g].kinds.length
  out[at] = claim ? CLAIMING_BATCH_FORMAT_VERSION : BATCH_FORMAT_VERSION
  let o = writeVarint(out, at + 1, firstSeq)
  o = writeVarint(out, o, count)
  if (claim) {
    o = writeVarint(out, o, claim.fileNumber)
    o = writeVarint(out, o, claim.end)
  }
  for (let g = 0; g < batches.length; g++) {
    const { kinds, keys, values } = batches[g]
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[i]
      const key = keys[i]
      out[o++] = kind
      o = writeVarint(out, o, key.length)
      out.set(key, o)
      o += key.length
      if (kind !== Kind.Delete) {
        const value = values[i]
        o = writeVarint(out, o, value.length)
        out.set(value, o)
        o += value.length
      }
    }
  }
  return o
}

/**
 * Decodes a payload, calling `onEntry` for each entry; key and value are views into `data`.
 * Returns the last sequence number. `file`/`offset` name the record for errors.
 */
export function decodeBatchRecord(
  data: Uint8Array,
  file: string,
  offset: number,
  onEntry: (seq: number, kind: number, key: Uint8Array, value: Uint8Array) => void,
  onClaim?: (claim: ValueLogClaim) => void,
): number {
  return decodeBatchEntries(data, file, offset, (seq, kind, keyStart, keyEnd, valueStart, valueEnd) => {
    onEntry(seq, kind, data.subarray(keyStart, keyEnd), kind === Kind.Delete ? EMPTY : data.subarray(valueStart, valueEnd))
  }, onClaim)
}

/**
 * An entry of a decoded payload: its key is payload[keyStart, keyEnd), its value
 * payload[valueStart, valueEnd) (empty for a deletion).
 */
export type BatchEntrySink = (seq: number, kind: number, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number) => void

/**
 * decodeBatchRecord with the entries as offsets into `data` instead of views: recovery's replay,
 * which keeps ~200,000 entries of a WAL as offsets into the file (memtable EntryColumns) and would
 * otherwise make two views per entry. The same checks, errors and result.
 */
export function decodeBatchEntries(
  data: Uint8Array,
  file: string,
  offset: number,
  onEntry: BatchEntrySink,
  onClaim?: (claim: ValueLogClaim) => void,
): number {
  const fail = (what: string): never => {
    throw new CorruptionError(file, offset, `bad write batch: ${what}`)
  }
  const r = new ByteReader(data, fail)
  const version = r.u8()
  if (version === RELOCATION_FORMAT_VERSION) return decodeRelocations(r, fail, onEntry)
  if (version !== BATCH_FORMAT_VERSION && version !== CLAIMING_BATCH_FORMAT_VERSION) fail(`unknown batch format ${version}`)
  const firstSeq = r.varint()
  const count = r.varint()
  if (version === CLAIMING_BATCH_FORMAT_VERSION) {
    const claim = { fileNumber: r.varint(), end: r.varint() }
    onClaim?.(claim)
  }
  for (let i = 0; i < count; i++) {
    const kind = r.u8()
    if (!isKnownKind(kind)) fail(`unknown kind ${kind}`)
    const keyStart = r.skipLengthPrefixed('key')
    const keyEnd = r.offset
    if (kind === Kind.Delete) {
      onEntry(firstSeq + i, kind, keyStart, keyEnd, keyEnd, keyEnd)
      continue
    }
    const valueStart = r.skipLengthPrefixed('value')
    const valueEnd = r.offset
    if (hasHeader(kind) && !isValidHeaderedValue(data.subarray(valueStart, valueEnd))) fail('bad value header')
    onEntry(firstSeq + i, kind, keyStart, keyEnd, valueStart, valueEnd)
  }
  r.end()
  return firstSeq + count - 1
}

/** An entry value-log GC moves: same key, seq and kind, a new pointer (behind its header, if any). */
export interface Relocation {
  key: Uint8Array
  seq: number
  /** ValuePointer or ValuePointerWithHeader. */
  kind: number
  pointer: Uint8Array
}

export function encodeRelocationRecord(entries: readonly Relocation[]): Uint8Array {
  let size = 1 + varintLength(entries.length)
  for (const e of entries) {
    size += 1 + varintLength(e.seq) + varintLength(e.key.length) + e.key.length + varintLength(e.pointer.length) + e.pointer.length
  }
  const out = new Uint8Array(size)
  out[0] = RELOCATION_FORMAT_VERSION
  let o = writeVarint(out, 1, entries.length)
  for (const e of entries) {
    out[o++] = e.kind
    o = writeVarint(out, o, e.seq)
    o = writeVarint(out, o, e.key.length)
    out.set(e.key, o)
    o = writeVarint(out, o + e.key.length, e.pointer.length)
    out.set(e.pointer, o)
    o += e.pointer.length
  }
  return out
}

function decodeRelocations(r: ByteReader, fail: (what: string) => never, onEntry: BatchEntrySink): number {
  const count = r.varint()
  let maxSeq = 0
  for (let i = 0; i < count; i++) {
    const kind = r.u8()
    if (!isPointerKind(kind)) fail(`relocation of kind ${kind}`)
    const seq = r.varint()
    const keyStart = r.skipLengthPrefixed('key')
    const keyEnd = r.offset
    const valueStart = r.skipLengthPrefixed('value')
    onEntry(seq, kind, keyStart, keyEnd, valueStart, r.offset)
    if (seq > maxSeq) maxSeq = seq
  }
  r.end()
  return maxSeq
}
