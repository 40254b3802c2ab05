// Version edits: the records of the manifest. Each edit says which tables a level gained or lost
// and moves the database's counters (next file number, last sequence, oldest live WAL).
//
// Encoding (the payload of one manifest log record): a sequence of fields, each a varint tag
// followed by the tag's body. Tags are on disk: never renumber, only add. An unknown tag means a
// newer format and is reported as corruption rather than skipped.
//
//   tag 1  logNumber        varint          WALs numbered below this are flushed and obsolete
//   tag 2  nextFileNumber   varint
//   tag 3  lastSeq          varint
//   tag 4  deletedTable     varint level, varint fileNumber
//   tag 5  addedTable       varint level, varint fileNumber, varint size,
//                           varint len + smallest user key, varint len + largest user key,
//                           varint minSeq, varint maxSeq, varint entryCount
//   tag 6  addedValueLog    varint fileNumber
//   tag 7  deletedValueLog  varint fileNumber
//   tag 8  valueLogDiscard  varint fileNumber, varint bytes    bytes of the file made garbage (added up)
//   tag 9  tombstoneHorizon varint seq      highest seq of a deletion whose tombstone compaction dropped
//   tag 10 droppedPrefix    varint seq, varint len + prefix     dropPrefix()/dropAll(): entries with
//                           this prefix and seq <= the given one are gone (an empty prefix: all)
//   tag 11 mergeHorizon     varint seq      highest seq of a version a flush or compaction dropped
//                           under a newer one of its key (manifest format 2; see docs/format.md)
//   tag 12 addedWholeValueLog varint fileNumber   a whole value-log file (version 3) a flush
//                           wrote; in the edit that adds the flush's table (edit format 3)

import { CorruptionError } from '../base/errors.js'
import { ByteReader } from '../base/byte-reader.js'
import type { DroppedPrefix } from '../base/dropped-prefixes.js'
import { varintLength, writeVarint } from '../base/varint.js'

const TAG_LOG_NUMBER = 1
const TAG_NEXT_FILE_NUMBER = 2
const TAG_LAST_SEQ = 3
const TAG_DELETED_TABLE = 4
const TAG_ADDED_TABLE = 5
const TAG_ADDED_VALUE_LOG = 6
const TAG_DELETED_VALUE_LOG = 7
const TAG_VALUE_LOG_DISCARD = 8
const TAG_TOMBSTONE_HORIZON = 9
const TAG_DROPPED_PREFIX = 10
const TAG_MERGE_HORIZON = 11
const TAG_ADDED_WHOLE_VALUE_LOG = 12

/** What the manifest records of one table. */
export interface TableMeta {
  fileNumber: number
  size: number
  smallestKey: Uint8Array
  largestKey: Uint8Array
  minSeq: number
  maxSeq: number
  entryCount: number
}

export interface VersionEdit {
  logNumber?: number
  nextFileNumber?: number
  lastSeq?: number
  deletedTables: { level: number; fileNumber: number }[]
  addedTables: { level: number; table: TableMeta }[]
  addedValueLogs?: number[]
  /** Whole value-log files (version 3) a flush wrote: live once this edit is durable. */
  addedWholeValueLogs?: number[]
  deletedValueLogs?: number[]
  /** Value-log file number → bytes this edit's compaction made garbage in it. */
  valueLogDiscards?: Map<number, number>
  /** The highest seq of a deletion whose tombstone this edit's compaction dropped (kept as a max). */
  tombstoneHorizon?: number
  droppedPrefixes?: DroppedPrefix[]
  /** The highest seq of a version this edit's flush or compaction merged away (kept as a max). */
  mergeHorizon?: number
}

export function emptyEdit(): VersionEdit {
  return { deletedTables: [], addedTables: [] }
}

export function encodeVersionEdit(edit: VersionEdit): Uint8Array {
  const fields: number[] = []
  const keys: Uint8Array[] = []
  let size = 0
  const num = (v: number): void => {
    fields.push(v)
    size += varintLength(v)
  }
  if (edit.logNumber !== undefined) (num(TAG_LOG_NUMBER), num(edit.logNumber))
  if (edit.nextFileNumber !== undefined) (num(TAG_NEXT_FILE_NUMBER), num(edit.nextFileNumber))
  if (edit.lastSeq !== undefined) (num(TAG_LAST_SEQ), num(edit.lastSeq))
  if (edit.tombstoneHorizon !== undefined) (num(TAG_TOMBSTONE_HORIZON), num(edit.tombstoneHorizon))
  if (edit.mergeHorizon !== undefined) (num(TAG_MERGE_HORIZON), num(edit.mergeHorizon))
  for (const d of edit.deletedTables) (num(TAG_DELETED_TABLE), num(d.level), num(d.fileNumber))
  // Keys are written in the order they are pushed; -1 in `fields` marks where the next key goes.
  for (const { level, table: t } of edit.addedTables) {
    num(TAG_ADDED_TABLE), num(level), num(t.fileNumber), num(t.size)
    for (const k of [t.smallestKey, t.largestKey]) {
      num(k.length)
      fields.push(-1)
      keys.push(k)
      size += k.length
    }
    num(t.minSeq), num(t.maxSeq), num(t.entryCount)
  }
  for (const n of edit.addedValueLogs ?? []) (num(TAG_ADDED_VALUE_LOG), num(n))
  for (const n of edit.addedWholeValueLogs ?? []) (num(TAG_ADDED_WHOLE_VALUE_LOG), num(n))
  for (const n of edit.deletedValueLogs ?? []) (num(TAG_DELETED_VALUE_LOG), num(n))
  for (const [n, bytes] of edit.valueLogDiscards ?? []) (num(TAG_VALUE_LOG_DISCARD), num(n), num(bytes))
  for (const d of edit.droppedPrefixes ?? []) {
    num(TAG_DROPPED_PREFIX), num(d.seq), num(d.prefix.length)
    fields.push(-1)
    keys.push(d.prefix)
    size += d.prefix.length
  }
  const out = new Uint8Array(size)
  let o = 0
  let k = 0
  for (const f of fields) {
    if (f === -1) {
      out.set(keys[k], o)
      o += keys[k++].length
    } else {
      o = writeVarint(out, o, f)
    }
  }
  return out
}

/** Decodes one edit; `file` and `offset` name the record for error messages. */
export function decodeVersionEdit(data: Uint8Array, file: string, offset: number): VersionEdit {
  const edit = emptyEdit()
  const r = new ByteReader(data, (what: string): never => {
    throw new CorruptionError(file, offset, `bad version edit: ${what}`)
  })
  const num = (): number => r.varint()
  while (r.more) {
    const tag = num()
    switch (tag) {
      case TAG_LOG_NUMBER:
        edit.logNumber = num()
        break
      case TAG_NEXT_FILE_NUMBER:
        edit.nextFileNumber = num()
        break
      case TAG_LAST_SEQ:
        edit.lastSeq = num()
        break
      case TAG_DELETED_TABLE:
        edit.deletedTables.push({ level: num(), fileNumber: num() })
        break
      case TAG_ADDED_TABLE: {
        const level = num()
        const fileNumber = num()
        const size = num()
        const smallestKey = r.lengthPrefixed('smallest key')
        const largestKey = r.lengthPrefixed('largest key')
        edit.addedTables.push({
          level,
          table: { fileNumber, size, smallestKey, largestKey, minSeq: num(), maxSeq: num(), entryCount: num() },
        })
        break
      }
      case TAG_ADDED_VALUE_LOG:
        ;(edit.addedValueLogs ??= []).push(num())
        break
      case TAG_ADDED_WHOLE_VALUE_LOG:
        ;(edit.addedWholeValueLogs ??= []).push(num())
        break
      case TAG_DELETED_VALUE_LOG:
        ;(edit.deletedValueLogs ??= []).push(num())
        break
      case TAG_VALUE_LOG_DISCARD: {
        const discards = (edit.valueLogDiscards ??= new Map())
        const n = num()
        discards.set(n, (discards.get(n) ?? 0) + num())
        break
      }
      case TAG_TOMBSTONE_HORIZON:
        edit.tombstoneHorizon = num()
        break
      case TAG_MERGE_HORIZON:
        edit.mergeHorizon = num()
        break
      case TAG_DROPPED_PREFIX: {
        const seq = num()
        ;(edit.droppedPrefixes ??= []).push({ seq, prefix: r.lengthPrefixed('dropped prefix') })
        break
      }
      default:
        throw new CorruptionError(file, offset, `bad version edit: unknown tag ${tag}`)
    }
  }
  return edit
}
