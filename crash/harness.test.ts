// The crash harness, CI-sized: one small run of each mode must pass, and a deliberately broken
// build (a file system that skips the directory fsync, the table fsync or the WAL fsync) must be
// reported as losing data. `npm run crash` runs the full CI size; this keeps `npm test` fast.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCorruption } from './corruption.js'
import { type Fault, FaultyFileSystem } from './faulty-fs.js'
import { emptyIOErrorResult, runIOErrors, runPoint } from './io-errors.js'
import { runKillCycles } from './kill-cycles.js'
import { runPowerLoss } from './power-loss.js'
import { runRecoveryCrashes } from './recovery-crashes.js'
import { runReorderedWriteback } from './reordered-writeback.js'
import { failures, formatReport } from './report.js'
import { opAt } from './workload.js'

const seed = process.env.SETT_SEED !== undefined ? Number(process.env.SETT_SEED) : Math.floor(Math.random() * 2 ** 31)
const withSeed = (what: string) => `${what} (SETT_SEED=${seed})`

describe('crash harness, CI size', () => {
  it('kill cycles: a SIGKILLed writer loses no acknowledged write', async () => {
    const work = mkdtempSync(join(tmpdir(), 'sett-crash-test-'))
    try {
      const kill = await runKillCycles({ dir: join(work, 'db'), seed, cycles: 6, sync: true, maxDelayMs: 80 })
      const report = formatReport({ seed, sync: true, kill })
      expect(failures({ seed, sync: true, kill }), withSeed(report)).toEqual([])
      expect(Object.values(kill.killsByPhase).reduce((a, b) => a + b, 0)).toBe(6)
      expect(kill.ackedOps).toBeGreaterThan(0)
      expect(kill.verdict.checked).toBeGreaterThan(0)
      expect(kill.reopenMs).toHaveLength(6)
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  })

  it('power loss at every file operation: sync writes all kept, sync:false a prefix', async () => {
    const power = await runPowerLoss({ seed, points: 400, opsPerWorkload: 40, noSyncEvery: 2 })
    expect(failures({ seed, sync: true, power }), withSeed(formatReport({ seed, sync: true, power }))).toEqual([])
    expect(power.points).toBe(400)
    expect(power.exhaustive).toBeGreaterThan(0)
    expect(power.prefixPoints).toBeGreaterThan(0)
    expect(power.verdict.checked).toBeGreaterThan(0)
  })

  it('a compaction whose directory fsync fails while the write path starts a value-log file: no manifest edit after the failure (soak seed 13)', async () => {
    // Found by `npm run crash -- --seed 13 --io-points 3000`: the write path recorded a new
    // value-log file in the manifest after the compaction lane's failed directory fsync, whose
    // name a later directory fsync no longer made durable; the reopen then found it missing.
    const workload = 2000019
    const ops = Array.from({ length: 80 }, (_, i) => opAt(workload, i))
    const result = emptyIOErrorResult()
    const problems: string[] = []
    expect(await runPoint(workload, ops, { kind: 'syncDir', at: 10, errno: 'ENOSPC' }, result, (p) => problems.push(p))).toBe(true)
    expect(problems).toEqual([])
    expect(result.failedOpens).toBe(0)
  })

  it('I/O errors at writes, fsyncs, creates, renames and directory fsyncs: the engine fails, nothing acknowledged is lost', async () => {
    const io = await runIOErrors({ seed, points: 60, opsPerWorkload: 50, pointsPerWorkload: 30 })
    expect(failures({ seed, sync: true, io }), withSeed(formatReport({ seed, sync: true, io }))).toEqual([])
    expect(io.points).toBe(60)
    expect(io.byKind.sync).toBeGreaterThan(0)
    expect(io.byKind.syncDir).toBeGreaterThan(0)
    expect(io.verdict.checked).toBeGreaterThan(0)
  })

  it('reordered writeback: any subset of unsynced writes kept, sync writes all kept, sync:false a prefix', async () => {
    const reordered = await runReorderedWriteback({ seed, points: 300 })
    expect(failures({ seed, sync: true, reordered }), withSeed(formatReport({ seed, sync: true, reordered }))).toEqual([])
    expect(reordered.points).toBe(300)
    expect(reordered.prefixPoints).toBeGreaterThan(0)
    expect(reordered.verdict.checked).toBeGreaterThan(0)
  })

  it('power loss during recovery, up to three times in a row: every acknowledged write, every open succeeds', async () => {
    const recoveryCrashes = await runRecoveryCrashes({ seed, points: 150 })
    expect(failures({ seed, sync: true, recoveryCrashes }), withSeed(formatReport({ seed, sync: true, recoveryCrashes }))).toEqual([])
    expect(recoveryCrashes.points).toBe(150)
    expect(recoveryCrashes.byDepth[1] + recoveryCrashes.byDepth[2]).toBeGreaterThan(0)
    expect(recoveryCrashes.afterKill).toBeGreaterThan(0)
    expect(recoveryCrashes.afterKill).toBeLessThan(150)
    expect(recoveryCrashes.verdict.checked).toBeGreaterThan(0)
  })

  it('corruption of every file kind: detected or recovered, never wrong', async () => {
    const corruption = await runCorruption({ seed, injections: 100, kinds: ['wal', 'sst', 'vlog', 'MANIFEST', 'CURRENT'] })
    expect(corruption.wrong, withSeed(corruption.problems.join('\n'))).toBe(0)
    expect(corruption.detected + corruption.recovered + corruption.harmless + corruption.misattributed).toBe(100)
    expect(corruption.detected).toBeGreaterThan(0)
  })

  // Seed 5 once cut the newest value-log file below what the WAL relied on, and acknowledged
  // writes rolled back silently; kept as a fixed case.
  it('value-log damage, seed 5: detected, never a silent rollback', async () => {
    const corruption = await runCorruption({ seed: 5, injections: 80, kinds: ['vlog'] })
    expect(corruption.wrong, corruption.problems.join('\n')).toBe(0)
  })
})

describe('crash harness with encryption at rest (npm run crash -- --encrypt), CI size', () => {
  it('kill cycles, power loss and corruption: nothing lost, every corruption detected or recovered', async () => {
    const work = mkdtempSync(join(tmpdir(), 'sett-crash-enc-'))
    try {
      const kill = await runKillCycles({ dir: join(work, 'db'), seed, cycles: 3, sync: true, encrypted: true, maxDelayMs: 80 })
      const power = await runPowerLoss({ seed, points: 150, opsPerWorkload: 40, noSyncEvery: 2, encrypted: true })
      const corruption = await runCorruption({ seed, injections: 60, encrypted: true })
      const result = { seed, sync: true, encrypted: true, kill, power, corruption }
      expect(failures(result), withSeed(formatReport(result))).toEqual([])
      expect(kill.ackedOps).toBeGreaterThan(0)
      expect(power.points).toBe(150)
      expect(corruption.detected).toBeGreaterThan(0)
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  })
})

describe('a deliberately broken build is caught', () => {
  // A fixed seed and enough crash points that every fault shows: these tests prove detection,
  // they do not explore (150 random-seeded points once missed the skipped table fsync; 300
  // points caught all three faults for each of seeds 1-12).
  const faultSeed = 1
  const broken = (fault: Fault) => runPowerLoss({ seed: faultSeed, points: 300, opsPerWorkload: 60, noSyncEvery: 0, wrapFs: (mem) => new FaultyFileSystem(mem, fault) })

  it('skipping the directory fsync: acknowledged writes reported lost', async () => {
    const power = await broken('skip-dir-sync')
    expect(power.verdict.lost).toBeGreaterThan(0)
    expect(failures({ seed: faultSeed, sync: true, power })).toContain(`power loss: ${power.verdict.lost} acknowledged writes lost`)
    expect(formatReport({ seed: faultSeed, sync: true, power })).toContain('VERDICT: FAIL')
  })

  it('skipping the fsync before a table is published: reported', async () => {
    const power = await broken('skip-table-sync')
    expect(power.verdict.lost + power.unrecoverable).toBeGreaterThan(0)
    expect(failures({ seed: faultSeed, sync: true, power }).length).toBeGreaterThan(0)
  })

  it('skipping the WAL fsync of sync writes: acknowledged writes reported lost', async () => {
    const power = await broken('skip-wal-sync')
    expect(power.verdict.lost).toBeGreaterThan(0)
  })
})
