// Dynamic level targets: the last level's target follows the data, each level above is a
// multiplier-th of the one below, L0 compacts into the base level (the last level while the
// database is small), and data left above the base by fixed targets is compacted down first.

import { expect, it } from 'vitest'
import { VersionSet, emptyEdit, FileMetadata, NUM_LEVELS } from '../manifest/index.js'
import { baseLevel, levelTargets, manualOutputLevel, pickCompaction } from './index.js'

const MiB = 2 ** 20
const options = { l0CompactionTrigger: 4, levelBaseBytes: 64 * MiB, levelMultiplier: 10 }
const key = (i: number) => Buffer.from(`k${String(i).padStart(6, '0')}`)

/** A version with tables of `size` bytes at the given levels, over disjoint key ranges per level. */
function versionWith(tables: { level: number; size: number; count?: number }[]) {
  const versions = new VersionSet(() => undefined)
  const edit = emptyEdit()
  let n = 1
  for (const { level, size, count = 1 } of tables) {
    for (let i = 0; i < count; i++) {
      const lo = level === 0 ? 0 : i * 1000
      edit.addedTables.push({
        level,
        table: new FileMetadata({
          fileNumber: n++, size, smallestKey: key(lo), largestKey: key(lo + 999), minSeq: n, maxSeq: n, entryCount: 1,
        }),
      })
    }
  }
  versions.apply(edit)
  return versions.current
}

it('targets follow the last level, and the base level rises as the data grows', () => {
  const small = versionWith([{ level: 6, size: 10 * MiB }])
  expect(levelTargets(small, options)[6]).toBe(64 * MiB)
  expect(baseLevel(levelTargets(small, options), options)).toBe(NUM_LEVELS - 1)

  const mid = versionWith([{ level: 6, size: 100 * MiB, count: 5 }])
  const t = levelTargets(mid, options)
  expect(t[6]).toBe(500 * MiB)
  expect(t[5]).toBe(50 * MiB)
  expect(baseLevel(t, options)).toBe(5)

  const big = versionWith([{ level: 6, size: 1024 * MiB, count: 4 }])
  const tb = levelTargets(big, options)
  const base = baseLevel(tb, options)
  expect(base).toBe(4)
  expect(tb[base]).toBeLessThanOrEqual(options.levelBaseBytes)
  expect(tb[base]).toBeGreaterThan(options.levelBaseBytes / options.levelMultiplier)
})

it('L0 compacts into the base level; data above the base is pushed down first', () => {
  const v = versionWith([{ level: 0, size: MiB, count: 4 }, { level: 6, size: 10 * MiB }])
  const plan = pickCompaction(v, options, [])!
  expect([plan.level, plan.outputLevel]).toEqual([0, 6])
  expect(plan.overlapping.map((f) => f.fileNumber)).toEqual([5])

  // Left in L1 by fixed targets: its target is tiny, so it goes down ahead of anything else.
  const legacy = versionWith([{ level: 1, size: 8 * MiB }, { level: 6, size: 500 * MiB }])
  const down = pickCompaction(legacy, options, [])!
  expect([down.level, down.outputLevel, down.trivialMove]).toEqual([1, 2, true])
})

it('a manual compaction skips the empty levels between a level and the next one with data', () => {
  const v = versionWith([{ level: 0, size: MiB, count: 2 }, { level: 3, size: MiB }, { level: 6, size: MiB }])
  expect(manualOutputLevel(v, 0, options)).toBe(3)
  expect(manualOutputLevel(v, 3, options)).toBe(6)
  expect(manualOutputLevel(versionWith([{ level: 0, size: MiB }]), 0, options)).toBe(6)
})

it('L0 goes first once it reaches the slowdown trigger, even below a higher-scoring level', () => {
  // L5 is far over its dynamic target (score ~10); L0 has 8 tables (score 2).
  const v = versionWith([{ level: 0, size: MiB, count: 8 }, { level: 5, size: 100 * MiB, count: 2 }, { level: 6, size: 200 * MiB }])
  expect(pickCompaction(v, options, [])!.level).toBe(5)
  expect(pickCompaction(v, { ...options, l0SlowdownTrigger: 8 }, [])!.level).toBe(0)
  expect(pickCompaction(v, { ...options, l0SlowdownTrigger: 9 }, [])!.level).toBe(5)
})

it('L0 never compacts below a level that holds data, even when the base level computed from sizes is deeper', () => {
  // The last level shrank (deletions, drops, expiry): the base level is L6 again, but L5 still
  // holds older data. L0's newer entries must go into L5, not under it into L6, or a tombstone
  // there would count as bottommost and be dropped with the older value still in L5.
  const v = versionWith([{ level: 0, size: MiB, count: 8 }, { level: 5, size: MiB }, { level: 6, size: 10 * MiB }])
  expect(baseLevel(levelTargets(v, options), options)).toBe(6)
  const plan = pickCompaction(v, { ...options, l0SlowdownTrigger: 8 }, [])!
  expect([plan.level, plan.outputLevel, plan.bottommost]).toEqual([0, 5, false])
})
