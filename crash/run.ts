// `npm run crash`: the crash-recovery harness as a command. Runs kill cycles (a writer process
// SIGKILLed on this disk), simulated power loss and corruption injection, prints the report and
// exits 1 when anything was lost, phantom or undetected.
//
//   npm run crash                       the CI size: 30 cycles, 2,000 crash points, 200 corruptions
//   npm run crash -- --soak             1,000 cycles, 50,000 crash points, 2,000 corruptions
//   options: --cycles N --power-points N --corruptions N --seed N --dir PATH (where the kill
//   cycles' database goes; default the OS temp dir) --sync false --only kill,power,corruption
//   --corruption-kinds wal,sst,vlog,MANIFEST,CURRENT --keep (leave the database directory)
//   --encrypt (every mode with encryption at rest on)
//   --reorder-points N (reordered writeback: crashes keeping any subset of unsynced writes)
//   --recovery-points N (power loss during open(), 1–3 times in a row); --only takes reorder, recovery

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { FILE_KINDS, type FileKind, runCorruption } from './corruption.js'
import { runKillCycles } from './kill-cycles.js'
import { runPowerLoss } from './power-loss.js'
import { runRecoveryCrashes } from './recovery-crashes.js'
import { runReorderedWriteback } from './reordered-writeback.js'
import { type HarnessResult, failures, formatReport } from './report.js'

const USAGE = 'usage: npm run crash -- [--ci | --soak] [--cycles N] [--power-points N] [--corruptions N] [--seed N] [--dir PATH] [--sync true|false] [--reorder-points N] [--recovery-points N] [--only kill,power,reorder,recovery,corruption] [--corruption-kinds LIST] [--keep] [--encrypt]'

function parseArgs(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}\n${USAGE}`)
    const [name, inline] = a.slice(2).split('=', 2)
    if (['soak', 'ci', 'keep', 'help', 'encrypt'].includes(name)) flags.set(name, inline ?? 'true')
    else if (inline !== undefined) flags.set(name, inline)
    else if (i + 1 < argv.length) flags.set(name, argv[++i])
    else throw new Error(`--${name} needs a value\n${USAGE}`)
  }
  const known = ['soak', 'ci', 'keep', 'help', 'encrypt', 'cycles', 'power-points', 'corruptions', 'seed', 'dir', 'sync', 'only', 'corruption-kinds', 'reorder-points', 'recovery-points']
  for (const k of flags.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k}\n${USAGE}`)
  return flags
}

function count(flags: Map<string, string>, name: string, fallback: number): number {
  const v = flags.get(name)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, not ${v}`)
  return n
}

function progress(label: string): (done: number, total: number) => void {
  let last = -1
  return (done, total) => {
    const pct = Math.floor((done / total) * 100)
    if (!process.stderr.isTTY || pct === last) return
    last = pct
    process.stderr.write(`\r${label} ${done}/${total} (${pct}%)${done === total ? '\n' : ''}`)
  }
}

async function main(): Promise<number> {
  const flags = parseArgs(process.argv.slice(2))
  if (flags.has('help')) {
    console.log(USAGE)
    return 0
  }
  const soak = flags.get('soak') === 'true'
  const seed = count(flags, 'seed', Math.floor(Math.random() * 2 ** 31))
  const sync = flags.get('sync') !== 'false'
  const encrypted = flags.get('encrypt') === 'true'
  const only = new Set((flags.get('only') ?? 'kill,power,reorder,recovery,corruption').split(','))
  const kinds = (flags.get('corruption-kinds')?.split(',') ?? [...FILE_KINDS]) as FileKind[]
  for (const k of kinds) if (!(FILE_KINDS as readonly string[]).includes(k)) throw new Error(`unknown file kind ${k}; one of ${FILE_KINDS.join(', ')}`)
  const result: HarnessResult = { seed, sync, encrypted }
  console.error(`seed ${seed}`)

  if (only.has('kill')) {
    const parent = resolve(flags.get('dir') ?? tmpdir())
    mkdirSync(parent, { recursive: true })
    const work = mkdtempSync(join(parent, 'sett-crash-'))
    try {
      result.kill = await runKillCycles({ dir: join(work, 'db'), seed, sync, encrypted, cycles: count(flags, 'cycles', soak ? 1000 : 30), onCycle: progress('kill cycles') })
    } finally {
      if (flags.get('keep') === 'true') console.error(`database kept in ${work}`)
      else rmSync(work, { recursive: true, force: true })
    }
  }
  if (only.has('power')) {
    result.power = await runPowerLoss({ seed, encrypted, points: count(flags, 'power-points', soak ? 50_000 : 2000), onProgress: progress('power-loss points') })
  }
  if (only.has('reorder')) {
    result.reordered = await runReorderedWriteback({ seed, encrypted, points: count(flags, 'reorder-points', soak ? 20_000 : 5000), onProgress: progress('reordered-writeback points') })
  }
  if (only.has('recovery')) {
    result.recoveryCrashes = await runRecoveryCrashes({ seed, encrypted, points: count(flags, 'recovery-points', soak ? 5000 : 2000), onProgress: progress('recovery crash sequences') })
  }
  if (only.has('corruption')) {
    result.corruption = await runCorruption({ seed, kinds, encrypted, injections: count(flags, 'corruptions', soak ? 2000 : 200), onProgress: progress('corruptions') })
  }
  console.log(formatReport(result))
  return failures(result).length === 0 ? 0 : 1
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err)
    process.exitCode = 2
  },
)
