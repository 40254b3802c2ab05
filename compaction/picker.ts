// The compaction picker: scores each level and chooses the next piece of work, or nothing.
//
// L0's score is its table count over the trigger; level n >= 1 scores its bytes over its target.
// Targets are dynamic (RocksDB's level_compaction_dynamic_level_bytes): the last level's target is
// the largest level's size (at least levelBaseBytes), each level above gets a levelMultiplier-th of
// the one below, and L0 compacts into the base level, the shallowest whose target is above
// levelBaseBytes / levelMultiplier. The last level thus holds ~90% of the data, which bounds space
// amplification near 1.11 at any size, where fixed targets from L1 down leave the last level
// however partly filled the data makes it. Levels above the base stay empty; data found there
// (written under fixed targets) has tiny targets, so it is compacted down first.
// The highest score at or above 1 wins. An L0 compaction takes every L0 table (they overlap) plus
// the base level's tables under them; a level-n compaction takes one table (round-robin by key)
// plus the tables under it, or moves it down untouched when nothing below overlaps (a trivial move).

import { compareBytes } from '../base/internal-key.js'
import { type FileMetadata, NUM_LEVELS, type Version } from '../manifest/index.js'

export interface PickerOptions {
  l0CompactionTrigger: number
  /** L0 table count at which writers are slowed: from there L0 goes first, whatever the scores. */
  l0SlowdownTrigger?: number
  levelBaseBytes: number
  levelMultiplier: number
}

export interface CompactionPlan {
  level: number
  outputLevel: number
  /** Tables of `level`. */
  inputs: FileMetadata[]
  /** Tables of `outputLevel` that overlap the inputs. */
  overlapping: FileMetadata[]
  /** One input table, nothing overlapping below: rewrite the manifest only. */
  trivialMove: boolean
  /** No level below the output holds data in this key range: tombstones may be dropped. */
  bottommost: boolean
  /** Tables of outputLevel + 1 under the whole range, in key order: where outputs should end. */
  grandparents: FileMetadata[]
  score: number
}

/** Target bytes of each level (index 0 unused: L0 is scored by table count). */
export function levelTargets(version: Version, options: PickerOptions): number[] {
  let largest = 0
  for (let level = 1; level < NUM_LEVELS; level++) largest = Math.max(largest, version.levelBytes(level))
  const targets = new Array<number>(NUM_LEVELS).fill(0)
  let target = Math.max(largest, options.levelBaseBytes)
  for (let level = NUM_LEVELS - 1; level >= 1; level--) {
    targets[level] = target
    target /= options.levelMultiplier
  }
  return targets
}

/** The level L0 compacts into: the shallowest whose target is above levelBaseBytes / multiplier. */
export function baseLevel(targets: readonly number[], options: PickerOptions): number {
  let base = NUM_LEVELS - 1
  while (base > 1 && targets[base - 1] > options.levelBaseBytes / options.levelMultiplier) base--
  return base
}

export function levelScores(version: Version, options: PickerOptions): number[] {
  const targets = levelTargets(version, options)
  const scores: number[] = []
  for (let level = 0; level < NUM_LEVELS - 1; level++) {
    const files = version.levels[level].filter((f) => !f.compacting)
    if (level === 0) scores.push(files.length / options.l0CompactionTrigger)
    else {
      let bytes = 0
      for (const f of files) bytes += f.size
      scores.push(bytes / targets[level])
    }
  }
  return scores
}

/**
 * Where a manual compaction of `level` goes: the next level below holding data (levels between
 * are empty: passing through them would only rewrite the data), else the base level for L0.
 */
export function manualOutputLevel(version: Version, level: number, options: PickerOptions): number {
  for (let l = level + 1; l < NUM_LEVELS; l++) if (version.levels[l].length > 0) return l
  return level === 0 ? baseLevel(levelTargets(version, options), options) : level + 1
}

/** Smallest and largest user keys over `files`. requires: files is not empty. */
export function keyRange(files: readonly FileMetadata[]): [Uint8Array, Uint8Array] {
  let lo = files[0].smallestKey
  let hi = files[0].largestKey
  for (const f of files) {
    if (compareBytes(f.smallestKey, lo) < 0) lo = f.smallestKey
    if (compareBytes(f.largestKey, hi) > 0) hi = f.largestKey
  }
  return [lo, hi]
}

function isBottommost(version: Version, outputLevel: number, lo: Uint8Array, hi: Uint8Array): boolean {
  for (let l = outputLevel + 1; l < NUM_LEVELS; l++) {
    if (version.overlapping(l, lo, hi).length > 0) return false
  }
  return true
}

/** A plan compacting `inputs` of `level` into `outputLevel`, or undefined when a table is busy. */
export function planCompaction(
  version: Version, level: number, inputs: FileMetadata[], score: number, outputLevel = level + 1,
): CompactionPlan | undefined {
  const [lo, hi] = keyRange(inputs)
  const overlapping = version.overlapping(outputLevel, lo, hi)
  if (inputs.some((f) => f.compacting) || overlapping.some((f) => f.compacting)) return undefined
  const all = inputs.concat(overlapping)
  const [alo, ahi] = keyRange(all)
  return {
    level,
    outputLevel,
    inputs,
    overlapping,
    trivialMove: level > 0 && inputs.length === 1 && overlapping.length === 0,
    bottommost: isBottommost(version, outputLevel, alo, ahi),
    grandparents: outputLevel + 1 < NUM_LEVELS ? version.overlapping(outputLevel + 1, alo, ahi) : [],
    score,
  }
}

/**
 * Chooses the next compaction. `cursors[level]` is the largest key of the last table compacted
 * out of that level (round-robin); the picker updates it.
 */
export function pickCompaction(
  version: Version,
  options: PickerOptions,
  cursors: (Uint8Array | undefined)[],
): CompactionPlan | undefined {
  const scores = levelScores(version, options)
  const base = baseLevel(levelTargets(version, options), options)
  // L0 never goes below a level that holds data: when the data shrinks (deletions, drops,
  // expiry), the base level computed from the sizes can move below a level filled earlier, and
  // newer entries must not end up under older ones.
  let l0Output = base
  for (let l = 1; l < base; l++) {
    if (version.levels[l].length > 0) {
      l0Output = l
      break
    }
  }
  // A level far over its small dynamic target can outscore L0 for long; once writers are being
  // slowed for L0, draining it matters more than the shape of the levels below.
  const l0First = scores[0] * options.l0CompactionTrigger >= (options.l0SlowdownTrigger ?? Infinity)
  const order = scores.map((s, l) => [s, l] as const).filter(([s]) => s >= 1)
    .sort((a, b) => (l0First && (a[1] === 0 || b[1] === 0) ? a[1] - b[1] : b[0] - a[0]))
  for (const [score, level] of order) {
    let inputs: FileMetadata[]
    if (level === 0) {
      inputs = version.levels[0].filter((f) => !f.compacting)
    } else {
      const files = version.levels[level].filter((f) => !f.compacting)
      const cursor = cursors[level]
      const next = cursor === undefined ? undefined : files.find((f) => compareBytes(f.smallestKey, cursor) > 0)
      inputs = [next ?? files[0]]
    }
    if (inputs.length === 0) continue
    const plan = planCompaction(version, level, inputs, score, level === 0 ? l0Output : level + 1)
    if (plan) {
      if (level > 0) cursors[level] = inputs[0].largestKey
      return plan
    }
  }
  return undefined
}
