// The scans a backup reads through besides the read path's own (ReadPath.backupHost): a salvaging
// one, which skips table blocks that fail their checksums instead of failing the backup
// (engine/salvage-iterator.ts), and the entry estimate a backup's progress is measured against.
//
// Owns: nothing; it builds iterators over a version and memtables it is handed. The pinning (the
// version's reference, the open-iterator registration that value-log GC waits for) is the read
// path's scan, which this one rides on and closes with.
// Must never: read anything but what it is handed, or write.

import type { InternalIterator } from '../base/internal-iterator.js'
import { MergingIterator } from '../base/merging-iterator.js'
import type { Version } from '../manifest/index.js'
import type { InternalScan } from './backup.js'
import { ChainedIterator, SalvagingTableIterator, type SkippedBlock } from './salvage-iterator.js'

/** What a memtable offers a scan. */
interface ScannableMemtable {
  iterator(): InternalIterator
  readonly count: number
}

/**
 * A scan of the same data as `pinned` (which must have been opened on `version`, just now) whose
 * table children skip damaged blocks, telling `onSkip` of each.
 */
export function salvagingScan(pinned: InternalScan, version: Version, memtables: ScannableMemtable[], onSkip: (b: SkippedBlock) => void): InternalScan {
  const children: InternalIterator[] = memtables.map((m) => m.iterator())
  for (const f of version.levels[0]) children.push(new SalvagingTableIterator(f.reader!, onSkip))
  for (let level = 1; level < version.levels.length; level++) {
    const files = version.levels[level]
    if (files.length > 0) children.push(new ChainedIterator(files.map((f) => new SalvagingTableIterator(f.reader!, onSkip))))
  }
  const source = new MergingIterator(children)
  return {
    source,
    readValueLog: pinned.readValueLog,
    closed: pinned.closed,
    close: () => {
      source.close()
      pinned.close()
    },
  }
}

/** Entries in the tables and memtables (every version): what a backup's progress counts up to. */
export function entryEstimate(version: Version, memtables: ScannableMemtable[]): number {
  let n = 0
  for (const m of memtables) n += m.count
  for (const level of version.levels) for (const f of level) n += f.entryCount
  return n
}
