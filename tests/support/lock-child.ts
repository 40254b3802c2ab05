// A child process for the cross-process lock tests: opens a database on the real file system and
// says on stdout, as one JSON line, what happened. Never used by the engine.
//   hold <dir> <writer|reader> [spawn-grandchild]  opens and keeps it open until killed; prints
//       { held: true, pid, grandchild? } once open (a writer first writes `held-by` = its pid, synced).
//       With spawn-grandchild it first starts a long `sleep` that outlives it, to show the lock is
//       not inherited by the processes it starts.
//   open <dir> <writer|reader>  tries once; prints { opened: true, pid } or { code, message, pid }, exits.

import { spawn } from 'node:child_process'
import { open } from '../../engine/index.js'

const [action, dir, role, extra] = process.argv.slice(2)
const say = (o: object) => process.stdout.write(`${JSON.stringify({ ...o, pid: process.pid })}\n`)
const options = { compactionWorker: false, readOnly: role === 'reader', createIfMissing: role !== 'reader' }

try {
  const db = await open(dir, options)
  if (action === 'hold') {
    if (role === 'writer') await db.put('held-by', String(process.pid), { sync: true })
    let grandchild: number | undefined
    if (extra === 'spawn-grandchild') {
      const sleeper = spawn('sleep', ['60'], { stdio: 'ignore', detached: true })
      sleeper.unref()
      grandchild = sleeper.pid
    }
    say({ held: true, grandchild })
    setInterval(() => {}, 60_000)
  } else {
    await db.close()
    say({ opened: true })
  }
} catch (err) {
  const e = err as { code?: string; message?: string }
  say({ code: e.code ?? 'UNKNOWN', message: String(e.message ?? err) })
}
