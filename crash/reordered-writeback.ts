// Reordered writeback: the power-loss workload (crash/power-loss.ts) with crashes that persist
// any subset of the unsynced writes, each split at 4 KiB pages (base/mem-fs.ts writeback 'any',
// LazyFS's model), not only a prefix. sync: true runs must keep every acknowledged write; sync:
// false runs must show the state after a prefix of the writes reaching at least the last
// completed flush (so every durable write is there, no phantom, no batch in part).

import { type PowerLossOptions, type PowerLossResult, runPowerLoss } from './power-loss.js'

export type ReorderedWritebackOptions = Omit<PowerLossOptions, 'writeback'>

/** Short workloads, half of them sync: false, so the points spread over many workloads and both checks. */
export function runReorderedWriteback(o: ReorderedWritebackOptions): Promise<PowerLossResult> {
  return runPowerLoss({ opsPerWorkload: 40, noSyncEvery: 2, ...o, writeback: 'any' })
}
