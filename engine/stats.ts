// stats(): the numbers DB.stats() reports, gathered from the rooms that keep them. Reads only.

import { levelScores, levelTargets } from '../compaction/index.js'
import type { MemoryStats } from './memory-budget.js'
import type { Oracle } from './oracle.js'
import type { RecoveryReport } from './recovery.js'
import type { EngineState } from './state.js'
import type { ValueLogGC } from './value-log-gc.js'
import type { SubscriberStats, Subscriptions } from './subscriptions.js'

export interface DBStats {
  lastSeq: number
  memtable: { bytes: number; entries: number }
  immutableMemtables: number
  levels: { level: number; files: number; bytes: number; score: number; targetBytes: number }[]
  flushes: number
  compactions: number
  /** Whether flushes and compactions run in the worker thread (compactionWorker). */
  compactionInWorker: boolean
  trivialMoves: number
  compactionBytesRead: number
  compactionBytesWritten: number
  walBytesWritten: number
  valueLogBytesWritten: number
  /** Live value-log files: size, garbage counted by compaction, and their ratio. */
  valueLogs: { number: number; bytes: number; discardBytes: number; discardRatio: number; active: boolean }[]
  stalls: number
  stallMs: number
  snapshots: number
  openIterators: number
  blockCacheBytes: number
  /** The memory budget and each part it bounds, in bytes (options.memoryBudget). */
  memory: MemoryStats
  /** peakHeldBytes: the most bytes of value-log entries any GC call held at once. */
  valueLogGC: { runs: number; filesCollected: number; bytesReclaimed: number; peakHeldBytes: number }
  /** Each live change-feed subscriber's queue: bytes queued now, the most ever, its bound. */
  subscribers: SubscriberStats[]
  /** dropPrefix()/dropAll() records in force (forgotten at an open once no table holds what they cover). */
  droppedPrefixes: number
  /** Commits refused with ConflictError, and commits the oracle still remembers for checks. */
  transactions: { conflicts: number; trackedCommits: number }
  recovery: RecoveryReport
}

export function collectStats(
  s: EngineState, picker: Parameters<typeof levelScores>[1], gc: ValueLogGC, oracle: Oracle, recovery: RecoveryReport,
  subscriptions: Subscriptions,
): DBStats {
  const version = s.versions.current
  const scores = levelScores(version, picker)
  const targets = levelTargets(version, picker)
  return {
    lastSeq: s.versions.lastSeq,
    memtable: { bytes: s.mem.byteSize, entries: s.mem.count },
    immutableMemtables: s.frozen.length,
    levels: version.levels.map((files, level) => ({
      level,
      files: files.length,
      bytes: version.levelBytes(level),
      score: scores[level] ?? 0,
      targetBytes: targets[level],
    })),
    ...s.counters,
    compactionInWorker: s.runner.inWorker,
    valueLogs: [...s.versions.valueLogs].map(([number, discardBytes]) => {
      const bytes = s.vlog.sizes.get(number) ?? 0
      return { number, bytes, discardBytes, discardRatio: bytes > 0 ? discardBytes / bytes : 0, active: number === s.vlog.activeNumber }
    }),
    snapshots: s.snapshots.size,
    openIterators: s.iterators.size,
    blockCacheBytes: s.cache.size,
    memory: s.memory.stats(s.versions.current, s.mem, s.frozen.map((f) => f.mem),
      (s.runner.inWorker ? 1 : 0) + (s.flushRunner !== s.runner && s.flushRunner.inWorker ? 1 : 0),
      s.runner.workerHeapBytes + (s.flushRunner !== s.runner ? s.flushRunner.workerHeapBytes : 0)),
    valueLogGC: { runs: gc.runs, filesCollected: gc.filesCollected, bytesReclaimed: gc.bytesReclaimed, peakHeldBytes: gc.peakHeldBytes },
    subscribers: subscriptions.stats(),
    droppedPrefixes: s.versions.droppedPrefixes.length,
    transactions: { conflicts: oracle.conflicts, trackedCommits: oracle.size },
    recovery,
  }
}
