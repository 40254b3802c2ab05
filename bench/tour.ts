// The tour: a short, verified walk through Sett on the real disk. It writes keys in random order,
// reads them back, iterates, takes a snapshot, reopens (recovering from the WAL), reads again,
// and prints what it did, how fast, and what the directory holds; then runs concurrent
// transactions, TTLs, and a backup restored into a new database. Every value read is checked.
//
//   npm run tour                                   200,000 keys, 16 B keys, 100 B values
//   npm run tour -- --num 1000000 --dir ./big-db   the 1M-key round trip, kept in ./big-db
//   options: --num N  --value-size B  --batch N  --dir PATH  --keep

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type DB, open, restore } from '../engine/index.js'

const { values: args } = parseArgs({
  options: {
    num: { type: 'string', default: '200000' },
    'value-size': { type: 'string', default: '100' },
    batch: { type: 'string', default: '100' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
})
const num = Number(args.num)
const valueSize = Number(args['value-size'])
const batchSize = Number(args.batch)
const dir = args.dir ?? mkdtempSync(join(tmpdir(), 'sett-tour-'))

/** 16-byte key of index i: "k" + 15 digits, so byte order is numeric order. */
function keyOf(i: number): Buffer {
  return Buffer.from(`k${String(i).padStart(15, '0')}`)
}

/** A value that depends only on i, half of it compressible (as db_bench makes them). */
function valueOf(i: number): Buffer {
  const v = Buffer.alloc(valueSize)
  let x = (i + 1) * 2654435761
  for (let j = 0; j < valueSize; j++) {
    if (j < valueSize / 2) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0
      v[j] = x >>> 24
    } else v[j] = 0x61 + (i % 26)
  }
  return v
}

/** A permutation of [0, n) without an array of n numbers: an affine map modulo a prime >= n. */
function permutation(n: number): (i: number) => number {
  let p = Math.max(n, 2)
  const isPrime = (m: number) => {
    for (let d = 2; d * d <= m; d++) if (m % d === 0) return false
    return true
  }
  while (!isPrime(p)) p++
  const a = 48271 % p || 1
  return (i) => {
    let x = i
    do x = Number((BigInt(x) * BigInt(a) + 11n) % BigInt(p))
    while (x >= n)
    return x
  }
}

function rate(n: number, ms: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString('en-US')} ops/s`
}

function dirBytes(): { files: number; bytes: number; kinds: string } {
  let bytes = 0
  const kinds = new Map<string, number>()
  const names = readdirSync(dir)
  for (const n of names) {
    bytes += statSync(join(dir, n)).size
    const kind = n.includes('.') ? n.slice(n.lastIndexOf('.') + 1) : n.replace(/-\d+$/, '')
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1)
  }
  return { files: names.length, bytes, kinds: [...kinds].map(([k, c]) => `${c} ${k}`).join(', ') }
}

function check(i: number, v: Uint8Array | undefined): void {
  if (v === undefined || !valueOf(i).equals(v)) throw new Error(`key ${keyOf(i)} read back wrong: ${v ? 'different bytes' : 'missing'}`)
}

async function readBack(db: DB, label: string): Promise<void> {
  const order = permutation(num)
  const reads = Math.min(num, 200_000)
  let t = performance.now()
  for (let j = 0; j < reads; j++) {
    const i = order((j * 7919) % num)
    check(i, db.getSync(keyOf(i)))
  }
  console.log(`  ${label}: ${reads.toLocaleString('en-US')} random getSync, all verified — ${rate(reads, performance.now() - t)}`)
  t = performance.now()
  let n = 0
  for (const [k, v] of db.iterator()) {
    if (!k.equals(keyOf(n))) throw new Error(`iteration out of order at ${n}: ${k}`)
    check(n, v)
    n++
  }
  if (n !== num) throw new Error(`iterated ${n} keys, expected ${num}`)
  console.log(`  ${label}: full scan of ${n.toLocaleString('en-US')} keys in order, all verified — ${rate(n, performance.now() - t)}`)
}

console.log(`Sett tour: ${num.toLocaleString('en-US')} keys of 16 B, values of ${valueSize} B, batches of ${batchSize}, in ${dir}\n`)
let db = await open(dir)
const order = permutation(num)
let t = performance.now()
for (let start = 0; start < num; start += batchSize) {
  const b = db.batch()
  for (let j = start; j < Math.min(num, start + batchSize); j++) {
    const i = order(j)
    b.put(keyOf(i), valueOf(i))
  }
  await b.write()
}
console.log(`1. fillrandom: wrote ${num.toLocaleString('en-US')} keys in random order — ${rate(num, performance.now() - t)}`)
t = performance.now()
const syncWrites = 200
for (let j = 0; j < syncWrites; j++) await db.put(keyOf(order(j)), valueOf(order(j)), { sync: true })
console.log(`2. fillsync: ${syncWrites} puts, each durable before it resolves — ${rate(syncWrites, performance.now() - t)}`)

console.log('3. reading back')
await readBack(db, 'before reopen')
const prefix = [...db.iterator({ prefix: 'k00000000000012', keysOnly: true })].map(([k]) => k.toString())
console.log(`  prefix "k00000000000012": ${prefix.length} keys, first ${prefix[0] ?? '-'}`)
const lastThree = [...db.iterator({ reverse: true, limit: 3, keysOnly: true })].map(([k]) => k.toString())
console.log(`  reverse, limit 3: ${lastThree.join(', ')}`)

const snap = db.snapshot()
await db.put(keyOf(0), 'changed after the snapshot')
const atSnap = db.getSync(keyOf(0), { snapshot: snap })
check(0, atSnap)
console.log(`4. snapshot: still reads the old value of ${keyOf(0)} after an overwrite; latest is "${db.getSync(keyOf(0))}"`)
snap.release()
await db.put(keyOf(0), valueOf(0))

let s = db.stats()
console.log(`5. shape: ${s.flushes} flushes, ${s.compactions} compactions, ${s.trivialMoves} trivial moves, ` +
  `levels ${s.levels.filter((l) => l.files).map((l) => `L${l.level}:${l.files}`).join(' ') || '(all in memtable)'}, ` +
  `memtable ${(s.memtable.bytes / 1048576).toFixed(1)} MiB`)
t = performance.now()
await db.close()
db = await open(dir)
s = db.stats()
console.log(`6. reopen in ${Math.round(performance.now() - t)} ms: replayed ${s.recovery.entriesReplayed.toLocaleString('en-US')} WAL entries into an L0 table`)
await readBack(db, 'after reopen')
await db.close()
const d = dirBytes()
const user = num * (16 + valueSize)
console.log(`7. directory: ${d.files} files (${d.kinds}), ${(d.bytes / 1048576).toFixed(1)} MiB for ${(user / 1048576).toFixed(1)} MiB of keys and values (space amplification ${(d.bytes / user).toFixed(2)})`)

// Beyond get and put, on the same database: transactions, TTL, backup and restore.
db = await open(dir)
const account = (i: number) => `acct:${String(i).padStart(3, '0')}`
await db.batch(Array.from({ length: 100 }, (_, i) => ({ type: 'put' as const, key: account(i), value: '1000' })))
let committed = 0
t = performance.now()
await Promise.all(Array.from({ length: 32 }, async (_, w) => {
  for (let n = 0; n < 100; n++) {
    const a = (w * 7 + n * 13) % 100
    const b = (a + 1 + ((w + n) % 99)) % 100
    await db.transaction(async (txn) => {
      const from = Number(await txn.get(account(a)))
      const to = Number(await txn.get(account(b)))
      txn.put(account(a), String(from - 1))
      txn.put(account(b), String(to + 1))
    }, { retries: 20 })
    committed++
  }
}))
const txMs = performance.now() - t
const total = await db.view((txn) => [...txn.iterator({ prefix: 'acct:' })].reduce((sum, [, v]) => sum + Number(v), 0))
if (total !== 100_000) throw new Error(`transactions broke the total balance: ${total}`)
console.log(`8. transactions: ${committed.toLocaleString('en-US')} transfers by 32 concurrent workers between 100 accounts, ` +
  `${db.stats().transactions.conflicts.toLocaleString('en-US')} conflicts retried — ${rate(committed, txMs)}; total balance unchanged`)

await db.batch(Array.from({ length: 1000 }, (_, i) => ({ type: 'put' as const, key: `session:${i}`, value: 'token', ttl: 300 })))
const live = [...db.iterator({ prefix: 'session:', keysOnly: true })].length
await new Promise((resolve) => setTimeout(resolve, 350))
const afterTtl = [...db.iterator({ prefix: 'session:', keysOnly: true })].length
if (live !== 1000 || afterTtl !== 0) throw new Error(`TTL: ${live} keys before expiry, ${afterTtl} after`)
console.log(`9. TTL: 1,000 keys written with a 300 ms TTL, all readable, then none 350 ms later`)

const backupFile = join(dir, '..', `${dir.split('/').pop()}.bak`)
t = performance.now()
const backup = await db.backup(backupFile)
const backupMs = performance.now() - t
await db.close()
const restored = join(dir, '..', `${dir.split('/').pop()}-restored`)
t = performance.now()
await restore(restored, backupFile)
const restoreMs = performance.now() - t
const copy = await open(restored)
let restoredKeys = 0
for (const [k, v] of copy.iterator({ gte: 'k', lt: 'k~' })) {
  check(Number(k.toString().slice(1)), v)
  restoredKeys++
}
await copy.close()
if (restoredKeys !== num) throw new Error(`restore holds ${restoredKeys} of ${num} keys`)
console.log(`10. backup: ${backup.records.toLocaleString('en-US')} entries (${(backup.bytes / 1048576).toFixed(1)} MiB) in ${Math.round(backupMs)} ms; ` +
  `restored into a new database in ${Math.round(restoreMs)} ms, all ${num.toLocaleString('en-US')} values verified`)
rmSync(backupFile, { force: true })
rmSync(restored, { recursive: true, force: true })

if (!args.keep && !args.dir) rmSync(dir, { recursive: true, force: true })
console.log('\nAll values verified.')
