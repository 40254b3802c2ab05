// The directory lock between processes on the real file system: an OS lock that a writer in
// another PID namespace (two containers sharing a volume) still sees, and that dies with its
// holder however it dies (kill -9), even when the holder left children running.

import * as nodeFs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LockError, open } from '../../engine/index.js'
import { killChild, pidNamespaceUnavailable, startLockChild } from '../support/spawn-lock-child.js'

const OPTIONS = { compactionWorker: false }

describe('the OS lock across processes', () => {
  let dir: string
  beforeEach(() => {
    dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'sett-oslock-'))
  })
  afterEach(() => nodeFs.rmSync(dir, { recursive: true, force: true }))

  it('a process in another PID namespace cannot open a database this process holds', async (ctx) => {
    const why = pidNamespaceUnavailable()
    if (why !== undefined) {
      console.log(`skipped: no PID namespace for the child here (${why})`)
      ctx.skip()
    }
    const db = await open(dir, OPTIONS)
    try {
      await db.put('k', 'v', { sync: true })
      for (const role of ['writer', 'reader']) {
        const child = startLockChild(['open', dir, role], { pidNamespace: true })
        const report = await child.report
        // PID 1: the child really is the first process of a namespace of its own, where our PID
        // (written in LOCK) names no process at all.
        expect(report.pid, role).toBe(1)
        expect(report.code, `${role}: ${report.message}`).toBe('SETT_LOCKED')
      }
    } finally {
      await db.close()
    }
    // Once we let go, the same child gets in.
    const after = await startLockChild(['open', dir, 'writer'], { pidNamespace: true }).report
    expect(after).toMatchObject({ opened: true, pid: 1 })
  })

  it('a writer killed with kill -9 never blocks a reopen, even with its children still running', async () => {
    const holder = startLockChild(['hold', dir, 'writer', 'spawn-grandchild'])
    const report = await holder.report
    expect(report.held).toBe(true)
    try {
      await expect(open(dir, OPTIONS)).rejects.toThrow(new RegExp(`process ${report.pid}, open for writing`))
      await expect(open(dir, { ...OPTIONS, readOnly: true })).rejects.toThrow(LockError)
      await killChild(holder.process, 'SIGKILL')
      // The LOCK file still names the dead holder; the kernel dropped its lock all the same.
      expect(nodeFs.readFileSync(path.join(dir, 'LOCK'), 'utf8').trim()).toBe(String(report.pid))
      expect(() => process.kill(report.grandchild!, 0)).not.toThrow()
      const db = await open(dir, OPTIONS)
      expect(db.getSync('held-by')?.toString()).toBe(String(report.pid))
      await db.close()
    } finally {
      await killChild(holder.process)
      if (report.grandchild !== undefined) process.kill(report.grandchild, 'SIGKILL')
    }
  })

  it('a reader killed with kill -9 never blocks a writer', async () => {
    const db = await open(dir, OPTIONS)
    await db.close()
    const holder = startLockChild(['hold', dir, 'reader'])
    const report = await holder.report
    expect(report.held).toBe(true)
    try {
      await expect(open(dir, OPTIONS)).rejects.toThrow(/open read-only/)
      await killChild(holder.process, 'SIGKILL')
      const again = await open(dir, OPTIONS)
      await again.close()
    } finally {
      await killChild(holder.process)
    }
  })
})
