// The offline-sync example, end to end: a device process (device.ts) writes through power cuts
// (SIGKILL at random moments, then a restart) and ships its changes over a local socket to a
// receiver, a second Sett database standing in for the server, whose link this process drops
// at random. The receiver applies each chunk in one batch and confirms it (its resumeFrom).
// At the end the receiver must hold exactly the device's data, key for key.
//
// npm run example:offline-sync [-- --writes 3000 --seed 1 --dir /tmp/x]

import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { open } from '../../engine/index.js'
import { type WireChange, lineReader } from './protocol.js'

export interface OfflineSyncResult {
  equal: boolean
  keys: number
  kills: number
  linkDrops: number
  chunks: number
  mismatches: string[]
  seconds: number
}

export async function runOfflineSync(opts: { writes: number; seed: number; dir?: string }): Promise<OfflineSyncResult> {
  const t0 = performance.now()
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'sett-offline-sync-'))
  let rand = opts.seed >>> 0 || 1
  const random = () => ((rand = (Math.imul(rand, 1664525) + 1013904223) >>> 0) / 2 ** 32)
  const receiver = await open(join(dir, 'receiver'), { sync: true })
  let chunks = 0
  let linkDrops = 0
  let kills = 0
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    let applying = Promise.resolve()
    socket.on('data', lineReader((msg) => {
      const { changes } = msg as { changes: WireChange[] }
      applying = applying.then(async () => {
        // Replays after a lost ack are harmless: they are the same changes, in the same order.
        const ops: { type: 'put' | 'del'; key: Buffer; value?: Buffer }[] = []
        for (const c of changes) {
          const key = Buffer.from(c.key, 'base64')
          if (c.droppedPrefix) {
            if (ops.length > 0) await receiver.batch(ops.splice(0).map((o) => o.type === 'put' ? { type: 'put', key: o.key, value: o.value! } : { type: 'del', key: o.key }))
            await receiver.clear({ prefix: key })
          } else if (c.deleted) ops.push({ type: 'del', key })
          else ops.push({ type: 'put', key, value: Buffer.from(c.value!, 'base64') })
        }
        if (ops.length > 0) await receiver.batch(ops.map((o) => o.type === 'put' ? { type: 'put', key: o.key, value: o.value! } : { type: 'del', key: o.key }))
        chunks++
        if (!socket.destroyed) socket.write(JSON.stringify({ ack: changes[changes.length - 1].resumeFrom }) + '\n')
      }).catch(() => {
        socket.destroy()
      })
    }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  // Link loss: every so often the receiver's side of every connection is cut.
  const cutter = setInterval(() => {
    if (random() < 0.7) return
    for (const s of sockets) s.destroy()
    linkDrops++
  }, 50)

  const here = dirname(fileURLToPath(import.meta.url))
  const deviceDir = join(dir, 'device')
  try {
    for (let life = 0; ; life++) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'device.ts'), deviceDir, String(port), String(opts.writes), String(opts.seed + life)], {
        cwd: join(here, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'],
      })
      let out = ''
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
      // Power cut: SIGKILL after a random time, unless the device finished first. Each life
      // gets longer, so the run ends however unlucky the cuts are.
      const killAfter = 300 + random() * (600 + life * 400)
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        kills++
      }, killAfter)
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)))
      clearTimeout(timer)
      if (code === 0 && out.includes('SYNCED')) break
      if (code !== null && code !== 0) throw new Error(`device exited with code ${code}`)
      if (life > 200) throw new Error('device never finished')
    }
  } finally {
    clearInterval(cutter)
    for (const s of sockets) s.destroy()
    await new Promise<void>((r) => server.close(() => r()))
  }

  // The check: every data key and value of the device, and nothing else, at the receiver.
  const device = await open(deviceDir)
  const want = new Map<string, string>()
  for (const [k, v] of device.iterator({ prefix: 'data:' })) want.set(k.toString(), v.toString('base64'))
  await device.close()
  const got = new Map<string, string>()
  for (const [k, v] of receiver.iterator()) got.set(k.toString(), v.toString('base64'))
  await receiver.close()
  const mismatches: string[] = []
  for (const [k, v] of want) if (got.get(k) !== v) mismatches.push(`${k}: device ${v.slice(0, 16)}, receiver ${got.get(k)?.slice(0, 16)}`)
  for (const k of got.keys()) if (!want.has(k)) mismatches.push(`${k}: only at the receiver`)
  if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true })
  return { equal: mismatches.length === 0, keys: want.size, kills, linkDrops, chunks, mismatches, seconds: (performance.now() - t0) / 1000 }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string, d: number) => {
    const i = process.argv.indexOf(`--${name}`)
    return i >= 0 ? Number(process.argv[i + 1]) : d
  }
  const dirArg = process.argv.indexOf('--dir')
  const r = await runOfflineSync({ writes: arg('writes', 3000), seed: arg('seed', 1), dir: dirArg >= 0 ? process.argv[dirArg + 1] : undefined })
  console.log(`offline sync: ${r.keys} keys, ${r.kills} power cuts, ${r.linkDrops} link drops, ${r.chunks} chunks applied, ${r.seconds.toFixed(1)} s`)
  console.log(r.equal ? 'check: receiver equals device, every key and value' : `check FAILED:\n  ${r.mismatches.slice(0, 20).join('\n  ')}`)
  process.exit(r.equal ? 0 : 1)
}
