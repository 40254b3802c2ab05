// The device: a process that writes its own data (keys under `data:`) through power cuts (the
// parent SIGKILLs it at random) and ships its changes to the receiver whenever the link is up.
//
// Its own bookkeeping lives in its own database, under `meta:` (never shipped):
//   meta:written    how many of its writes are done (written in the same batch as each write,
//                   so a restart continues where the last process stopped, whatever it was)
//   meta:confirmed  the resumeFrom of the last change the receiver confirmed
// The sync loop: connect, subscribe({ since: confirmed, prefixes: ['data:'] }), send each chunk,
// wait for its ack, persist the ack, go on; on any link error (or a subscriber that fell too
// far behind) start again from the persisted confirmed version after an exponential backoff
// with jitter. Every write is synced, so a power cut loses nothing that was acknowledged.
// Prints "SYNCED" and exits 0 once every write is done and confirmed.
//
// usage: device.ts <dir> <port> <writes> <seed>

import { connect } from 'node:net'
import { type Change, type DB, open } from '../../engine/index.js'
import { lineReader, toWire } from './protocol.js'

const [dir, portText, writesText, seedText] = process.argv.slice(2)
const port = Number(portText)
const totalWrites = Number(writesText)
let rand = Number(seedText) >>> 0 || 1
const random = () => ((rand = (Math.imul(rand, 1664525) + 1013904223) >>> 0) / 2 ** 32)

const db: DB = await open(dir, { sync: true, memtableSize: 256 * 1024, valueLogFileSize: 1024 * 1024 })
const counter = (key: string) => Number(db.getSync(key)?.toString() ?? '0')

/** One write (put, delete or small batch of data keys) and the counter, atomically. */
async function writeOne(n: number): Promise<void> {
  const ops: { type: 'put' | 'del'; key: string; value?: string }[] = []
  const count = random() < 0.2 ? 2 + Math.floor(random() * 4) : 1
  for (let i = 0; i < count; i++) {
    const key = `data:${Math.floor(random() * 200).toString().padStart(4, '0')}`
    if (random() < 0.2) ops.push({ type: 'del', key })
    else ops.push({ type: 'put', key, value: `${n}:${i}:${'v'.repeat(Math.floor(random() * (random() < 0.05 ? 3000 : 60)))}` })
  }
  ops.push({ type: 'put', key: 'meta:written', value: String(n + 1) })
  await db.batch(ops.map((o) => (o.type === 'put' ? { type: 'put' as const, key: o.key, value: o.value! } : { type: 'del' as const, key: o.key })))
}

async function writer(): Promise<void> {
  for (let n = counter('meta:written'); n < totalWrites; n = counter('meta:written')) {
    await writeOne(n)
    if (random() < 0.1) await new Promise((r) => setTimeout(r, Math.floor(random() * 5)))
  }
}

/** The version the last data write reached: the batch's counter put is the one after it. */
const lastDataVersion = () => (db.getEntry('meta:written')?.version ?? 1) - 1

/** One connection's life: subscribe from the confirmed version and ship until the link fails. */
function session(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' })
    const abort = new AbortController()
    let waiting: { resolve: (ack: number) => void; reject: (err: Error) => void } | undefined
    const fail = (err: Error) => {
      abort.abort()
      waiting?.reject(err)
      socket.destroy()
      reject(err)
    }
    socket.on('error', fail)
    socket.on('close', () => fail(new Error('link closed')))
    socket.on('data', lineReader((msg) => waiting?.resolve((msg as { ack: number }).ack)))
    // Done once every write is in and confirmed: the writer may finish after the last ack.
    const done = setInterval(() => {
      if (!writingDone || counter('meta:confirmed') < lastDataVersion()) return
      clearInterval(done)
      abort.abort()
      socket.removeAllListeners('close')
      socket.end()
      resolve()
    }, 20)
    socket.on('close', () => clearInterval(done))
    socket.on('connect', () => {
      const since = counter('meta:confirmed')
      db.subscribe({ since, prefixes: ['data:'], signal: abort.signal, maxQueueBytes: 1024 * 1024 }, async (changes: Change[]) => {
        const ack = await new Promise<number>((res, rej) => {
          waiting = { resolve: res, reject: rej }
          socket.write(JSON.stringify({ changes: changes.map(toWire) }) + '\n')
        })
        waiting = undefined
        await db.put('meta:confirmed', String(ack))
      }).then(() => undefined, fail)
    })
  })
}

let writingDone = false
const writing = writer().then(() => {
  writingDone = true
})

async function syncLoop(): Promise<void> {
  let backoff = 10
  for (;;) {
    try {
      await session()
      if (writingDone && counter('meta:confirmed') >= lastDataVersion()) return
    } catch {
      // Link loss, a refused connection, or a feed that fell too far behind: start again.
      await new Promise((r) => setTimeout(r, backoff * (0.5 + random())))
      backoff = Math.min(backoff * 2, 500)
      continue
    }
    backoff = 10
  }
}

// The sync loop runs beside the writer and outlives it until everything is confirmed.
await syncLoop()
await writing
await db.close()
process.stdout.write('SYNCED\n')
process.exit(0)
