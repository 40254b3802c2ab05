// classic-level's open() vocabulary, translated into Sett's Options: `compression` as a boolean
// becomes 'lz4' or 'none'; LevelDB tuning options Sett has no counterpart for are accepted and
// ignored (listed in IGNORED_LEVELDB_OPTIONS and level/README.md), so code written for classic-level
// (datastore-level, blockstore-level) opens Sett unchanged. abstract-level lets callers hang their
// own options on open() (its suite does), so other names are dropped, except a near miss of an
// engine option (memTableSize), which goes on for the engine to refuse with the right name.
// Never opens anything itself.

import { closestName } from '../base/option-names.js'
import type { Options } from '../engine/index.js'

/**
 * classic-level options with no Sett counterpart, ignored: the block cache is blockCacheSize, the
 * write buffer memtableSize; Sett keeps no open-file limit, restart interval or file-size cap of that
 * name, and abstract-level itself handles `passive`.
 */
export const IGNORED_LEVELDB_OPTIONS: ReadonlySet<string> = new Set([
  'cacheSize', 'writeBufferSize', 'blockRestartInterval', 'maxOpenFiles', 'maxFileSize', 'multithreading', 'passive',
])

/** Sett options from the constructor's and open()'s, merged (open() wins) and translated. */
export function settOpenOptions(constructorOptions: Options, openOptions: object): Options {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries({ ...constructorOptions, ...openOptions })) {
    if (IGNORED_LEVELDB_OPTIONS.has(name) || value === undefined) continue
    if (name === 'compression' && typeof value === 'boolean') out.compression = value ? 'lz4' : 'none'
    else if (ENGINE_NAMES.includes(name) || closestName(name, ENGINE_NAMES) !== undefined) out[name] = value
  }
  return out as Options
}

/** Every engine-only option; the type makes this list fail to compile when Options changes. */
export const SETT_OPTIONS: Record<Exclude<keyof Options, 'createIfMissing' | 'errorIfExists'>, true> = {
  sync: true, memoryBudget: true, memtableSize: true, maxImmutableMemtables: true, blockSize: true, bloomBitsPerKey: true,
  compression: true, blockCacheSize: true, tableTargetSize: true, l0CompactionTrigger: true,
  l0SlowdownTrigger: true, l0StopTrigger: true, levelBaseBytes: true, levelMultiplier: true, paranoid: true,
  valueThreshold: true, valueLogFileSize: true, valueLogMaxEntries: true, autoValueLogGC: true, compactionWorker: true,
  clock: true, numVersionsToKeep: true, detectConflicts: true, fs: true, readOnly: true,
  encryptionKey: true, encryptionKeyRotation: true,
}

/** What the engine's open() takes: the engine-only options and the two open() shares with abstract-level. */
const ENGINE_NAMES: readonly string[] = [...Object.keys(SETT_OPTIONS), 'createIfMissing', 'errorIfExists']
