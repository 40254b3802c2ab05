// `npm run bench:reopen`: the time to reopen after a kill -9 with a full memtable. A child process
// fills the memtable (16 B keys, 100 B half-compressible values, batches of 100, unsynced, then
// one synced put so every write is in the WAL) up to just below the size it would be frozen at,
// reports, and is killed with SIGKILL; this process then times open() on the directory, checks
// the last key written, and times how long the flush lane takes to write the replayed memtable
// after open() has resolved. Medians of --repeat runs. Each run also prints the replay's share of
// open() (stats().recovery.replayMs: reading, checking and decoding the WAL, building the
// memtable), whose entries/s is the replay rate; the rest is the manifest and the new files' fsyncs.
//
//   npm run bench:reopen                          # defaults (memoryBudget 128 MiB: 16 MiB memtable)
//   npm run bench:reopen -- --memtable-size 64    # the old default memtable (~400,000 entries)
//   npm run bench:reopen -- --memory-budget 64    # (builds dist/, runs dist/bench/reopen.js)

import { fork } from 'node:child_process'
import { rmSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { open } from '../engine/index.js'
import type { Options } from '../engine/options.js'

const MiB = 1024 * 1024
const VALUE_SIZE = 100
const BATCH = 100

interface Ready { entries: number; walBytes: number; memtableBytes: number; fillMs: number }

function settOptions(a: { 'memory-budget'?: string; 'memtable-size'?: string }): Options {
  const o: Options = {}
  if (a['memory-budget'] !== undefined) o.memoryBudget = Number(a['memory-budget']) * MiB
  if (a['memtable-size'] !== undefined) o.memtableSize = Number(a['memtable-size']) * MiB
  return o
}

const key = (i: number): string => String(i * 7919 % 100_000_007).padStart(16, '0')

/** The child: fill the memtable to just below its limit, make it all durable in the WAL, report. */
async function child(dir: string, options: Options): Promise<void> {
  const db = await open(dir, options)
  const value = Buffer.alloc(VALUE_SIZE)
  for (let i = 0; i < VALUE_SIZE; i++) value[i] = i < VALUE_SIZE / 2 ? (i * 131 + 7) & 255 : 65
  const t = performance.now()
  let n = 0
  for (;;) {
    const s = db.stats()
    // Stop one batch short of the size the memtable is frozen at: full, not frozen.
    const perEntry = n === 0 ? 200 : s.memtable.bytes / n
    if (s.memtable.bytes + 2 * BATCH * perEntry > s.memory.memtableLimit) break
    const b = db.batch()
    for (let j = 0; j < BATCH; j++, n++) b.put(key(n), value)
    await b.write()
  }
  await db.put(key(n), value, { sync: true })
  n++
  const s = db.stats()
  if (s.flushes !== 0 || s.immutableMemtables !== 0) throw new Error('the memtable was frozen during the fill')
  const walBytes = readdirSync(dir).filter((f) => f.endsWith('.wal')).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0)
  const ready: Ready = { entries: n, walBytes, memtableBytes: s.memtable.bytes, fillMs: performance.now() - t }
  process.send!(ready)
  await new Promise(() => {}) // wait for the kill
}

function fillAndKill(dir: string, argv: string[]): Promise<Ready> {
  const self = fileURLToPath(import.meta.url)
  const p = fork(self, ['--child', dir, ...argv], {
    execArgv: self.endsWith('.ts') ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    let ready: Ready | undefined
    p.once('message', (m: Ready) => {
      ready = m
      p.kill('SIGKILL')
    })
    p.once('exit', (code, signal) => {
      if (ready !== undefined) resolve(ready)
      else reject(new Error(`writer exited (${signal ?? code}) before it was ready`))
    })
  })
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rate = (entries: number, ms: number): string => Math.round(entries / (ms / 1000)).toLocaleString('en-US')

async function main(): Promise<void> {
  const { values: a, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      child: { type: 'boolean', default: false },
      'memory-budget': { type: 'string' },
      'memtable-size': { type: 'string' },
      repeat: { type: 'string', default: '3' },
      db: { type: 'string', default: join(tmpdir(), 'sett-bench-reopen') },
    },
  })
  const options = settOptions(a)
  if (a.child) return child(positionals[0], options)
  const passOn = process.argv.slice(2).filter((x, i, all) => !['--repeat', '--db'].includes(x) && !['--repeat', '--db'].includes(all[i - 1]))
  const runs: { openMs: number; replayMs: number; flushedMs: number; ready: Ready }[] = []
  console.log(`Sett reopen after kill -9 with a full memtable — options ${JSON.stringify(options)}; ${a.repeat} runs`)
  for (let r = 0; r < Number(a.repeat); r++) {
    const dir = join(a.db, `run-${r}`)
    rmSync(dir, { recursive: true, force: true })
    const ready = await fillAndKill(dir, passOn)
    const t = performance.now()
    const db = await open(dir, options)
    const openMs = performance.now() - t
    const s = db.stats()
    const last = db.getSync(key(ready.entries - 1))
    if (last === undefined || last.length !== VALUE_SIZE) throw new Error('the last acknowledged write is missing after the reopen')
    if (s.recovery.entriesReplayed !== ready.entries) throw new Error(`replayed ${s.recovery.entriesReplayed} entries, wrote ${ready.entries}`)
    while (db.stats().immutableMemtables > 0) await new Promise((resolve) => setTimeout(resolve, 5))
    const flushedMs = performance.now() - t
    await db.close()
    rmSync(dir, { recursive: true, force: true })
    const replayMs = s.recovery.replayMs
    runs.push({ openMs, replayMs, flushedMs, ready })
    console.log(`  run ${r + 1}: ${ready.entries.toLocaleString('en-US')} entries, WAL ${(ready.walBytes / MiB).toFixed(1)} MiB, ` +
      `memtable ${(ready.memtableBytes / MiB).toFixed(1)} MiB: open ${openMs.toFixed(0)} ms ` +
      `(${rate(ready.entries, openMs)} entries/s), of it replay ${replayMs.toFixed(0)} ms (${rate(ready.entries, replayMs)} entries/s); ` +
      `replayed memtable flushed ${flushedMs.toFixed(0)} ms after open() began`)
  }
  const openMs = median(runs.map((x) => x.openMs))
  const replayMs = median(runs.map((x) => x.replayMs))
  const entries = runs[0].ready.entries
  console.log(`reopen: median ${openMs.toFixed(0)} ms for ${entries.toLocaleString('en-US')} entries (${rate(entries, openMs)} entries/s); ` +
    `replay median ${replayMs.toFixed(0)} ms (${rate(entries, replayMs)} entries/s); flushed in the background by ${median(runs.map((x) => x.flushedMs)).toFixed(0)} ms`)
}

await main()
