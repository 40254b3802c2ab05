// Transaction throughput on the real disk: the bank workload (transfers between random accounts,
// each reading two balances and writing two), many concurrent async workers, in one run:
//
//   npm run bench:txn                                   defaults below, 3 runs each, medians
//   npm run bench:txn -- --accounts 1000 --transfers 50000 --workers 64 --sync
//
// Modes: Sett transactions with conflict detection (serializable), without it (last writer
// wins), and the same reads plus an atomic batch with no transaction at all; beside them
// classic-level doing that unprotected read-then-batch (LevelDB has no transactions), as the
// same-run peer. Each mode prints committed transfers/s, conflicts, and whether the total
// balance survived: only serializable transactions guarantee it.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ConflictError, type DB, open } from '../engine/index.js'
import { requirePeer } from './harness/peers.js'

const { values: args } = parseArgs({
  options: {
    accounts: { type: 'string', default: '100' },
    transfers: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '32' },
    runs: { type: 'string', default: '3' },
    sync: { type: 'boolean', default: false },
    dir: { type: 'string' },
  },
})
const ACCOUNTS = Number(args.accounts)
const TRANSFERS = Number(args.transfers)
const WORKERS = Number(args.workers)
const RUNS = Number(args.runs)
const SYNC = args.sync === true
const INITIAL = 1_000_000
const account = (i: number) => `acct:${String(i).padStart(6, '0')}`

interface Store {
  /** One transfer; resolves whether it committed. */
  transfer(a: number, b: number, amount: number): Promise<boolean>
  total(): Promise<number>
  conflicts(): number
  close(): Promise<void>
}

function pair(): [number, number] {
  const a = Math.floor(Math.random() * ACCOUNTS)
  let b = Math.floor(Math.random() * (ACCOUNTS - 1))
  if (b >= a) b++
  return [a, b]
}

async function settStore(dir: string, mode: 'ssi' | 'no-detect' | 'batch'): Promise<Store> {
  const db: DB = await open(dir, { detectConflicts: mode === 'ssi' })
  await db.batch(Array.from({ length: ACCOUNTS }, (_, i) => ({ type: 'put' as const, key: account(i), value: String(INITIAL) })))
  return {
    async transfer(a, b, amount) {
      if (mode === 'batch') {
        const from = Number(db.getSync(account(a))!.toString())
        const to = Number(db.getSync(account(b))!.toString())
        await db.batch([{ type: 'put', key: account(a), value: String(from - amount) }, { type: 'put', key: account(b), value: String(to + amount) }], { sync: SYNC })
        return true
      }
      try {
        await db.transaction(async (txn) => {
          const from = Number((await txn.get(account(a)))!.toString())
          const to = Number((await txn.get(account(b)))!.toString())
          txn.put(account(a), String(from - amount))
          txn.put(account(b), String(to + amount))
        }, { retries: 10, sync: SYNC })
        return true
      } catch (err) {
        if (err instanceof ConflictError) return false
        throw err
      }
    },
    async total() {
      let sum = 0
      for (const [, v] of db.iterator({ prefix: 'acct:' })) sum += Number(v.toString())
      return sum
    },
    conflicts: () => db.stats().transactions.conflicts,
    close: () => db.close(),
  }
}

interface ClassicLevel {
  open(): Promise<void>
  close(): Promise<void>
  getSync(key: string): string | undefined
  batch(ops: { type: 'put'; key: string; value: string }[], options?: { sync?: boolean }): Promise<void>
  values(options: { gte: string; lt: string }): AsyncIterable<string>
}

async function classicStore(dir: string): Promise<Store> {
  const { ClassicLevel } = requirePeer<{ ClassicLevel: new (dir: string) => ClassicLevel }>('classic-level')
  const db = new ClassicLevel(dir)
  await db.open()
  await db.batch(Array.from({ length: ACCOUNTS }, (_, i) => ({ type: 'put' as const, key: account(i), value: String(INITIAL) })))
  return {
    async transfer(a, b, amount) {
      const from = Number(db.getSync(account(a)))
      const to = Number(db.getSync(account(b)))
      await db.batch([{ type: 'put', key: account(a), value: String(from - amount) }, { type: 'put', key: account(b), value: String(to + amount) }], { sync: SYNC })
      return true
    },
    async total() {
      let sum = 0
      for await (const v of db.values({ gte: 'acct:', lt: 'acct;' })) sum += Number(v)
      return sum
    },
    conflicts: () => 0,
    close: () => db.close(),
  }
}

async function runOnce(name: string, make: (dir: string) => Promise<Store>) {
  const dir = mkdtempSync(join(args.dir ?? tmpdir(), 'sett-txn-'))
  try {
    const store = await make(dir)
    let committed = 0
    let failed = 0
    const perWorker = Math.ceil(TRANSFERS / WORKERS)
    const t = performance.now()
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      for (let i = 0; i < perWorker; i++) {
        const [a, b] = pair()
        if (await store.transfer(a, b, 1 + Math.floor(Math.random() * 100))) committed++
        else failed++
      }
    }))
    const ms = performance.now() - t
    const total = await store.total()
    const conflicts = store.conflicts()
    await store.close()
    return { name, perSec: (committed / ms) * 1000, committed, failed, conflicts, preserved: total === ACCOUNTS * INITIAL }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const modes: [string, (dir: string) => Promise<Store>][] = [
  ['sett transaction (serializable)', (d) => settStore(d, 'ssi')],
  ['sett transaction, detectConflicts off', (d) => settStore(d, 'no-detect')],
  ['sett reads + batch (no transaction)', (d) => settStore(d, 'batch')],
  ['classic-level reads + batch (no transactions)', classicStore],
]

console.log(`bank transfers: ${ACCOUNTS} accounts, ${TRANSFERS} transfers by ${WORKERS} concurrent workers, sync ${SYNC}, median of ${RUNS} runs`)
const results = []
for (const [name, make] of modes) {
  const runs = []
  // Interleaving the runs of all modes would be fairer on a noisy machine; modes are short, so
  // each mode's runs go back to back and the median absorbs a disturbed one.
  for (let r = 0; r < RUNS; r++) runs.push(await runOnce(name, make))
  const perSec = median(runs.map((x) => x.perSec))
  const mid = runs.find((x) => x.perSec === perSec)!
  results.push({ ...mid, perSec })
}
const peer = results[results.length - 1].perSec
for (const r of results) {
  console.log(`${r.name.padEnd(46)} ${Math.round(r.perSec).toLocaleString('en-US').padStart(9)} committed/s  ` +
    `${(r.perSec / peer).toFixed(2)}× classic-level  conflicts ${r.conflicts}, given up ${r.failed}, total balance ${r.preserved ? 'preserved' : 'BROKEN'}`)
}
