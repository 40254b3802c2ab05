// describeTable: a human-readable dump of a table's layout (regions, blocks, index entries,
// filter and properties), for tests, docs and a dump tool. Like Pebble's sstable/layout.go.

import type { FileSystem } from '../base/fs.js'
import { MAX_SEQ, decodeInternalKey } from '../base/internal-key.js'
import { BlockCache } from './block-cache.js'
import { BlockIter } from './block-iter.js'
import { BLOCK_TRAILER_SIZE, Compression, FOOTER_SIZE, HEADER_SIZE, type BlockHandle } from './format.js'
import { TableReader } from './table-reader.js'

/** A key for people: printable ASCII as is, other bytes as \xNN, in double quotes. */
export function formatKey(key: Uint8Array): string {
  let s = '"'
  for (const b of key) {
    s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`
  }
  return s + '"'
}

/** An internal key as "user"@seq#kind, with MAX_SEQ written as max. */
export function formatInternalKey(ikey: Uint8Array): string {
  const { userKey, seq, kind } = decodeInternalKey(ikey)
  return `${formatKey(userKey)}@${seq === MAX_SEQ ? 'max' : seq}#${kind}`
}

/** Opens the table at `path` (checking it as TableReader.open does) and describes its layout. */
export function describeTable(fs: FileSystem, path: string): string {
  const reader = TableReader.open(fs, path, 0, new BlockCache(0))
  const file = fs.openRead(path)
  try {
    const p = reader.properties
    const footer = reader.footer
    const lines: string[] = []
    const region = (h: BlockHandle): string => `[${h.offset}, ${h.offset + h.length + BLOCK_TRAILER_SIZE})`
    const compression = (h: BlockHandle): string => {
      const type = file.read(h.offset + h.length, 1)[0]
      return type === Compression.Lz4 ? 'lz4' : type === Compression.Lz4Chunks ? 'lz4 chunks' : type === Compression.None ? 'none' : `type ${type}`
    }
    lines.push(`table ${path}: ${p.fileSize} bytes, format version ${reader.version}`)
    lines.push(`header      [0, ${HEADER_SIZE})`)
    const it = new BlockIter(path)
    for (let i = 0; i < reader.blockCount; i++) {
      const h = reader.blockHandle(i)
      it.reset(reader.loadBlock(i), h.offset)
      let n = 0
      let first = ''
      let last = ''
      for (it.first(); it.valid(); it.next()) {
        if (n === 0) first = formatInternalKey(it.internalKey())
        last = formatInternalKey(it.internalKey())
        n++
      }
      lines.push(`data ${i}`.padEnd(12) + `${region(h)} stored ${h.length} B, ${compression(h)}, ${n} entries, ${first} .. ${last}`)
    }
    if (footer.filter.length > 0) {
      const head = file.read(footer.filter.offset, 8)
      const bits = head[4] | (head[5] << 8) | (head[6] << 16) | (head[7] << 24)
      lines.push(`filter      ${region(footer.filter)} ${bits >>> 0} bits, ${head[1]} hashes`)
    } else {
      lines.push('filter      none')
    }
    lines.push(`index       ${region(footer.index)} ${reader.blockCount} entries`)
    for (let i = 0; i < reader.blockCount; i++) {
      const h = reader.blockHandle(i)
      lines.push(`  ${formatInternalKey(reader.indexKey(i))} -> data ${i} (offset ${h.offset}, length ${h.length})`)
    }
    lines.push(`properties  ${region(footer.properties)}`)
    lines.push(`  entries ${p.entryCount}, tombstones ${p.tombstoneCount}, seq [${p.minSeq}, ${p.maxSeq}], data blocks ${p.dataBlockCount}`)
    lines.push(`  keys ${formatKey(p.smallestKey)} .. ${formatKey(p.largestKey)}, raw key bytes ${p.rawKeyBytes}, raw value bytes ${p.rawValueBytes}`)
    lines.push(`footer      [${p.fileSize - FOOTER_SIZE}, ${p.fileSize})`)
    return lines.join('\n') + '\n'
  } finally {
    file.close()
    reader.close()
  }
}
