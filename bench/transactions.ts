// Transaction throughput on the real disk: the bank workload (transfers between random accounts,
// each reading two balances and writing two), many concurrent async workers, in one run:
//
//   npm run bench:txn                                   defaults below, 3 runs each, medians
//   npm run bench:txn -- --accounts 1000 --transfers 50000 --workers 64 --sync
//   npm run bench:txn -- --only ranges --transfers 2000 --runs 1   the range-read section alone
//
// Modes: Sett transactions with conflict detection (serializable), without it (last writer
// wins), and the same reads plus an atomic batch with no transaction at all; beside them
// classic-level doing that unprotected read-then-batch (LevelDB has no transactions), as the
// same-run peer. Each mode prints committed transfers/s, conflicts, and whether the total
// balance survived: only serializable transactions guarantee it.
//
// Then range reads (--window accounts, default 10): each transaction sums a window of consecutive
// accounts and moves money between two of them. Read by one iterator, the window is tracked as
// one key range (refusing phantoms too); read by one get per account, it is tracked as that many
// key fingerprints, which is what the iterator recorded before range tracking. The gap between
// the two is what a range costs over the points it returned.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ConflictError, type DB, open } from '../engine/index.js'
import type { Transaction } from '../engine/transaction.js'
import { requirePeer } from './harness/peers.js'

const { values: args } = parseArgs({
  options: {
    accounts: { type: 'string', default: '100' },
    transfers: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '32' },
    runs: { type: 'string', default: '3' },
    window: { type: 'string', default: '10' },
    only: { type: 'string' },
    sync: { type: 'boolean', default: false },
    dir: { type: 'string' },
  },
})
const ACCOUNTS = Number(args.accounts)
const TRANSFERS = Number(args.transfers)
const WORKERS = Number(args.workers)
const RUNS = Number(args.runs)
const WINDOW = Number(args.window)
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

type SettMode = 'ssi' | 'no-detect' | 'batch' | 'range' | 'range-points' | 'range-no-detect'

/** Sums the window of accounts starting at `first` (wrapping round), by one iterator or by gets. */
function readWindow(txn: Transaction, first: number, byIterator: boolean): Map<number, number> {
  const balances = new Map<number, number>()
  const ids = Array.from({ length: WINDOW }, (_, i) => (first + i) % ACCOUNTS)
  if (!byIterator) {
    for (const id of ids) balances.set(id, Number(txn.getSync(account(id))!.toString()))
    return balances
  }
  const last = ids[ids.length - 1]
  const scan = (gte: number, lte: number) => {
    for (const [k, v] of txn.iterator({ gte: account(gte), lte: account(lte) })) balances.set(Number(k.toString().slice(5)), Number(v!.toString()))
  }
  if (last >= first) scan(first, last)
  else (scan(first, ACCOUNTS - 1), scan(0, last))
  return balances
}

async function settStore(dir: string, mode: SettMode): Promise<Store> {
  const db: DB = await open(dir, { detectConflicts: mode !== 'no-detect' && mode !== 'range-no-detect' })
  await db.batch(Array.from({ length: ACCOUNTS }, (_, i) => ({ type: 'put' as const, key: account(i), value: String(INITIAL) })))
  return {
    async transfer(a, b, amount) {
      if (mode === 'batch') {
        const from = Number(db.getSync(account(a))!.toString())
        const to = Number(db.getSync(account(b))!.toString())
        await db.batch([{ type: 'put', key: account(a), value: String(from - amount) }, { type: 'put', key: account(b), value: String(to + amount) }], { sync: SYNC })
        return true
      }
      const ranged = mode.startsWith('range')
      try {
        if (ranged) {
          // a and b are picked within the window starting at a.
          await db.transaction((txn) => {
            const balances = readWindow(txn, a, mode !== 'range-points')
            const other = (a + 1 + (b % (WINDOW - 1))) % ACCOUNTS
            txn.put(account(a), String(balances.get(a)! - amount))
            txn.put(account(other), String(balances.get(other)! + amount))
          }, { retries: 10, sync: SYNC })
          return true
        }
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

async function section(title: string, list: [string, (dir: string) => Promise<Store>][], peerName: string): Promise<void> {
  console.log(title)
  const results = []
  for (const [name, make] of list) {
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
      `${(r.perSec / peer).toFixed(2)}× ${peerName}  conflicts ${r.conflicts}, given up ${r.failed}, total balance ${r.preserved ? 'preserved' : 'BROKEN'}`)
  }
}

if (args.only !== 'ranges') await section(`bank transfers: ${ACCOUNTS} accounts, ${TRANSFERS} transfers by ${WORKERS} concurrent workers, sync ${SYNC}, median of ${RUNS} runs`, modes, 'classic-level')
if (args.only !== 'bank') await section(`range reads: each transaction reads a window of ${WINDOW} accounts and moves money within it`, [
  ['window by iterator (one read range)', (d) => settStore(d, 'range')],
  ['window, detectConflicts off', (d) => settStore(d, 'range-no-detect')],
  [`window by ${WINDOW} gets (point fingerprints)`, (d) => settStore(d, 'range-points')],
], 'point tracking')
