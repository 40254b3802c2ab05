// The compaction picker: scores each level and chooses the next piece of work, or nothing.
//
// L0's score is its table count over the trigger; level n >= 1 scores its bytes over its target,
// target(1) = levelBaseBytes and target(n) = target(n-1) * levelMultiplier. The highest score at or
// above 1 wins. An L0 compaction takes every L0 table (they overlap) plus the L1 tables under
// them; a level-n compaction takes one table (round-robin by key) plus the tables under it, or
// moves it down untouched when nothing below overlaps (a trivial move).

import { compareBytes } from '../base/internal-key.js'
import { type FileMetadata, NUM_LEVELS, type Version } from '../manifest/index.js'

export interface PickerOptions {
  l0CompactionTrigger: number
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
  score: number
}

export function levelTargetBytes(level: number, options: PickerOptions): number {
  return options.levelBaseBytes * options.levelMultiplier ** Math.max(0, level - 1)
}

export function levelScores(version: Version, options: PickerOptions): number[] {
  const scores: number[] = []
  for (let level = 0; level < NUM_LEVELS - 1; level++) {
    const files = version.levels[level].filter((f) => !f.compacting)
    if (level === 0) scores.push(files.length / options.l0CompactionTrigger)
    else {
      let bytes = 0
      for (const f of files) bytes += f.size
      scores.push(bytes / levelTargetBytes(level, options))
    }
  }
  return scores
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

/** A plan compacting `inputs` of `level` into level + 1, or undefined when a table is busy. */
export function planCompaction(version: Version, level: number, inputs: FileMetadata[], score: number): CompactionPlan | undefined {
  const outputLevel = level + 1
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
  const order = scores.map((s, l) => [s, l] as const).filter(([s]) => s >= 1).sort((a, b) => b[0] - a[0])
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
    const plan = planCompaction(version, level, inputs, score)
    if (plan) {
      if (level > 0) cursors[level] = inputs[0].largestKey
      return plan
    }
  }
  return undefined
}
