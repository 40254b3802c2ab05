// The harness's verdict: one text report for the three modes, and whether the run passed.

import type { CorruptionResult } from './corruption.js'
import type { KillResult } from './kill-cycles.js'
import type { PowerLossResult } from './power-loss.js'
import { type RecoveryCrashResult, formatRecoveryCrashes, recoveryCrashFailures } from './recovery-crashes.js'

export interface HarnessResult {
  seed: number
  /** Encryption at rest was on (--encrypt). */
  encrypted?: boolean
  sync: boolean
  kill?: KillResult
  power?: PowerLossResult
  corruption?: CorruptionResult
  /** The power-loss workload with crashes that persist any subset of unsynced writes. */
  reordered?: PowerLossResult
  recoveryCrashes?: RecoveryCrashResult
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}
const ms = (x: number) => `${x.toFixed(1)} ms`
const secs = (x: number) => `${(x / 1000).toFixed(1)} s`

/** Why the run failed; empty when it passed. */
export function failures(r: HarnessResult): string[] {
  const out: string[] = []
  if (r.kill) {
    const k = r.kill
    if (k.verdict.lost > 0) out.push(`kill cycles: ${k.verdict.lost} acknowledged writes lost`)
    if (k.verdict.phantom > 0) out.push(`kill cycles: ${k.verdict.phantom} phantom values`)
    if (k.verdict.tornBatches > 0) out.push(`kill cycles: ${k.verdict.tornBatches} torn batches`)
    if (k.verdict.iteratorMismatches > 0) out.push(`kill cycles: ${k.verdict.iteratorMismatches} iterator/get disagreements`)
    if (k.unrecoverable > 0) out.push(`kill cycles: ${k.unrecoverable} reopens or reads failed`)
    if (k.childFailures > 0) out.push(`kill cycles: ${k.childFailures} writer children failed by themselves`)
  }
  for (const [name, p] of [['power loss', r.power], ['reordered writeback', r.reordered]] as const) {
    if (p === undefined) continue
    if (p.verdict.lost > 0) out.push(`${name}: ${p.verdict.lost} acknowledged writes lost`)
    if (p.verdict.phantom > 0) out.push(`${name}: ${p.verdict.phantom} phantom values`)
    if (p.verdict.tornBatches > 0) out.push(`${name}: ${p.verdict.tornBatches} torn batches`)
    if (p.verdict.iteratorMismatches > 0) out.push(`${name}: ${p.verdict.iteratorMismatches} iterator/get disagreements`)
    if (p.prefixFailures > 0) out.push(`${name}: ${p.prefixFailures} sync:false states that are no prefix of the writes`)
    if (p.unrecoverable > 0) out.push(`${name}: ${p.unrecoverable} reopens or reads failed`)
  }
  if (r.recoveryCrashes) out.push(...recoveryCrashFailures(r.recoveryCrashes))
  if (r.corruption && r.corruption.wrong > 0) out.push(`corruption: ${r.corruption.wrong} injections neither detected nor recovered`)
  return out
}

export function formatReport(r: HarnessResult): string {
  const lines: string[] = [`Sett crash-recovery harness — seed ${r.seed}, writes sync: ${r.sync}${r.encrypted ? ', encrypted' : ''}`]
  if (r.kill) {
    const k = r.kill
    const phases = Object.entries(k.killsByPhase).map(([p, n]) => `${p} ${n}`).join(', ')
    lines.push(
      '',
      `kill cycles (SIGKILL of a writer process, real disk)          ${secs(k.elapsedMs)}`,
      `  cycles                      ${k.cycles}`,
      `  kill points by phase        ${phases}`,
      `  background work seen        ${k.flushes} flushes, ${k.compactions} compactions, ${k.gcFiles} value-log files collected`,
      `  acknowledged ops / writes   ${k.ackedOps} / ${k.ackedWrites}`,
      `  acknowledged writes checked ${k.verdict.checked} (key checks after each reopen)`,
      `  lost                        ${k.verdict.lost}`,
      `  phantom                     ${k.verdict.phantom}`,
      `  torn batches                ${k.verdict.tornBatches}`,
      `  iterator/get disagreements  ${k.verdict.iteratorMismatches}`,
      `  reopen failures             ${k.unrecoverable}`,
      `  time to reopen              median ${ms(median(k.reopenMs))}, max ${ms(Math.max(0, ...k.reopenMs))}`,
    )
  }
  const powerSections = [
    ['simulated power loss (in-memory file system)                 ', r.power],
    ['reordered writeback (any subset of unsynced 4 KiB pieces kept)', r.reordered],
  ] as const
  for (const [title, p] of powerSections) {
    if (p === undefined) continue
    lines.push(
      '',
      `${title} ${secs(p.elapsedMs)}`,
      `  crash points explored       ${p.points} (${p.exhaustive} exhaustive, ${p.sampled} sampled) over ${p.workloads} workloads`,
      `  sync:false prefix checks    ${p.prefixPoints} points, ${p.prefixFailures} not a prefix`,
      `  acknowledged writes checked ${p.verdict.checked}`,
      `  lost                        ${p.verdict.lost}`,
      `  phantom                     ${p.verdict.phantom}`,
      `  torn batches                ${p.verdict.tornBatches}`,
      `  iterator/get disagreements  ${p.verdict.iteratorMismatches}`,
      `  reopen failures             ${p.unrecoverable}`,
    )
  }
  if (r.recoveryCrashes) lines.push('', ...formatRecoveryCrashes(r.recoveryCrashes))
  if (r.corruption) {
    const c = r.corruption
    lines.push(
      '',
      `corruption injection (bit flips and truncations)              ${secs(c.elapsedMs)}`,
      `  kind        injected  detected  recovered  harmless  misattributed  wrong`,
    )
    for (const [kind, n] of Object.entries(c.byKind)) {
      if (n.injected === 0) continue
      lines.push(`  ${kind.padEnd(10)}  ${String(n.injected).padStart(8)}  ${String(n.detected).padStart(8)}  ${String(n.recovered).padStart(9)}  ${String(n.harmless).padStart(8)}  ${String(n.misattributed).padStart(13)}  ${String(n.wrong).padStart(5)}`)
    }
    lines.push(
      `  total       ${String(c.injected).padStart(8)}  ${String(c.detected).padStart(8)}  ${String(c.recovered).padStart(9)}  ${String(c.harmless).padStart(8)}  ${String(c.misattributed).padStart(13)}  ${String(c.wrong).padStart(5)}`,
      `  (detected: CorruptionError naming the damaged file and an offset; recovered: torn WAL tail, a prefix`,
      `   of the writes kept; harmless: damage in bytes never read, every read exact; misattributed: a`,
      `   CorruptionError naming another file; wrong: wrong data or writes silently lost — must be 0)`,
    )
  }
  const problems = [...(r.kill?.verdict.problems ?? []), ...(r.power?.verdict.problems ?? []), ...(r.reordered?.verdict.problems ?? []), ...(r.recoveryCrashes?.verdict.problems ?? []), ...(r.corruption?.problems.filter((p) => p.startsWith('wrong')) ?? [])]
  if (problems.length > 0) lines.push('', 'first problems:', ...problems.slice(0, 12).map((p) => `  ${p}`))
  const failed = failures(r)
  lines.push('', failed.length === 0 ? 'VERDICT: PASS — nothing lost, no phantoms, every corruption detected or recovered' : `VERDICT: FAIL\n${failed.map((f) => `  ${f}`).join('\n')}`)
  lines.push(`replay: npm run crash -- --seed ${r.seed}${r.sync ? '' : ' --sync false'}${r.encrypted ? ' --encrypt' : ''} (with the same sizes)`)
  return lines.join('\n')
}
