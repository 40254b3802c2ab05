// classic-level (LevelDB 1.x behind abstract-level) through the adapter, at its defaults (8 MiB
// block cache, 4 MiB write buffer, Snappy). Point reads use getSync (classic-level 3), the fastest
// read it documents; writes use its native chained batch; scans use nextv, which fetches many
// entries per hop to the thread pool.

import { requirePeer, peerVersion } from '../harness/peers.js'
import type { EngineAdapter, EngineCursor, EngineOpenOptions } from './adapter.js'

/** The part of classic-level's API the adapter uses. */
interface Iterator {
  nextv(size: number): Promise<[Buffer, Buffer][]>
  close(): Promise<void>
}
interface ChainedBatch {
  put(key: Uint8Array, value: Uint8Array): ChainedBatch
  write(options?: { sync?: boolean }): Promise<void>
}
interface ClassicLevel {
  open(): Promise<void>
  close(): Promise<void>
  put(key: Uint8Array, value: Uint8Array, options?: { sync?: boolean }): Promise<void>
  del(key: Uint8Array, options?: { sync?: boolean }): Promise<void>
  batch(): ChainedBatch
  getSync(key: Uint8Array): Buffer | undefined
  iterator(options: { gte?: Uint8Array; reverse?: boolean }): Iterator
  compactRange(start: Uint8Array, end: Uint8Array): Promise<void>
}
type ClassicLevelConstructor = new (dir: string, options: { keyEncoding: 'buffer'; valueEncoding: 'buffer' }) => ClassicLevel

export async function openClassicLevel(options: EngineOpenOptions): Promise<EngineAdapter> {
  const { ClassicLevel } = requirePeer<{ ClassicLevel: ClassicLevelConstructor }>('classic-level')
  const db = new ClassicLevel(options.dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
  await db.open()
  if (typeof db.getSync !== 'function') throw new Error('this classic-level has no getSync (needs 3.x)')
  return {
    name: 'classic-level',
    version: peerVersion('classic-level'),
    notes: [],
    async batch(keys, values, count, sync) {
      const b = db.batch()
      for (let i = 0; i < count; i++) b.put(keys[i], values[i])
      await b.write({ sync })
    },
    put: (key, value, sync) => db.put(key, value, { sync }),
    del: (key, sync) => db.del(key, { sync }),
    get: (key) => db.getSync(key),
    cursor({ gte, reverse }): EngineCursor {
      const it = db.iterator(gte === undefined ? { reverse } : { gte, reverse })
      return {
        async next(max, visit) {
          const entries = await it.nextv(max)
          for (const [k, v] of entries) visit(k, v)
          return entries.length
        },
        close: () => it.close(),
      }
    },
    // LevelDB's CompactRange(nullptr, nullptr) is not reachable from classic-level: bounds that
    // sort before and after every bench key (keys are zero-padded decimals) cover the same range.
    compact: () => db.compactRange(Buffer.alloc(1, 0), Buffer.alloc(1, 0xff)),
    close: () => db.close(),
  }
}
