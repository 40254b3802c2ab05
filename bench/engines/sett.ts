// Sett through the adapter: chained batches, getSync for point reads (cached blocks are read
// synchronously, DESIGN.md), nextSync for scans. Defaults everywhere, as a user would open it.

import { open } from '../../engine/index.js'
import { resolveOptions } from '../../engine/options.js'
import type { EngineAdapter, EngineCursor, EngineOpenOptions, EngineStats } from './adapter.js'

/**
 * Whether this build of Sett has a valueThreshold option (the value log, issue #4). Read from the
 * resolved defaults, so --threshold starts being passed through the day the option lands.
 */
export function settHasValueThreshold(): boolean {
  return 'valueThreshold' in resolveOptions({})
}

export async function openSett(options: EngineOpenOptions): Promise<EngineAdapter> {
  const notes: string[] = []
  const settOptions: Record<string, unknown> = { sync: options.sync }
  if (options.valueThreshold !== undefined) {
    if (settHasValueThreshold()) {
      settOptions.valueThreshold = options.valueThreshold
      notes.push(`valueThreshold ${options.valueThreshold}`)
    } else {
      notes.push('--threshold ignored: this Sett has no valueThreshold option yet')
    }
  }
  if (options.memoryBudget !== undefined) {
    settOptions.memoryBudget = options.memoryBudget
    notes.push(`memoryBudget ${options.memoryBudget / 2 ** 20} MiB`)
  }
  const db = await open(options.dir, settOptions)
  return {
    name: 'sett',
    version: '0.1.0 (this tree)',
    notes,
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
        next(max, visit) {
          let n = 0
          while (n < max) {
            const e = it.nextSync()
            if (e === undefined) break
            visit(e[0], e[1])
            n++
          }
          return n
        },
        close: () => it.close(),
      }
    },
    compact: () => db.compactRange(),
    busy() {
      const s = db.stats()
      return s.immutableMemtables > 0 || s.levels.some((l) => l.score >= 1)
    },
    stats(): EngineStats {
      const s = db.stats()
      return {
        stalls: s.stalls,
        stallMs: s.stallMs,
        flushes: s.flushes,
        compactions: s.compactions,
        compactionBytesWritten: s.compactionBytesWritten,
        // Read defensively: a build of Sett from before the value log has neither field.
        valueLogBytesWritten: (s as { valueLogBytesWritten?: number }).valueLogBytesWritten,
        valueLogGCRuns: (s as { valueLogGC?: { runs: number } }).valueLogGC?.runs,
        levels: s.levels.map((l) => l.files),
      }
    },
    memory: () => ({ ...db.stats().memory }),
    close: () => db.close(),
  }
}
