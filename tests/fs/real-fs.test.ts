// RealFileSystem alone: the PID in the LOCK file and how it decides who holds the lock.

import { spawn, spawnSync } from 'node:child_process'
import * as nodeFs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { IOError, LockError } from '../../base/errors.js'
import { RealFileSystem } from '../../base/real-fs.js'

describe('RealFileSystem locks', () => {
  let root: string
  let lockPath: string
  const fs = new RealFileSystem()

  beforeEach(() => {
    root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'sett-'))
    lockPath = path.join(root, 'LOCK')
  })
  afterEach(() => nodeFs.rmSync(root, { recursive: true, force: true }))

  it('writes our PID into the LOCK file', () => {
    const lock = fs.lock(lockPath)
    expect(nodeFs.readFileSync(lockPath, 'utf8').trim()).toBe(String(process.pid))
    lock.release()
  })

  it('refuses a lock held by another live process', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' })
    try {
      nodeFs.writeFileSync(lockPath, `${child.pid}\n`)
      expect(() => fs.lock(lockPath)).toThrow(LockError)
      expect(() => fs.lock(lockPath)).toThrow(new RegExp(`process ${child.pid}`))
      expect(nodeFs.readFileSync(lockPath, 'utf8').trim()).toBe(String(child.pid))
    } finally {
      child.kill()
    }
  })

  it('refuses a second lock from this process, also through another instance and a relative path', () => {
    const lock = fs.lock(lockPath)
    expect(() => new RealFileSystem().lock(lockPath)).toThrow(LockError)
    expect(() => fs.lock(path.relative(process.cwd(), lockPath))).toThrow(LockError)
    lock.release()
  })

  it('takes over a LOCK holding our own PID but not in the registry (left by a crash of ours)', () => {
    nodeFs.writeFileSync(lockPath, `${process.pid}\n`)
    const lock = fs.lock(lockPath)
    expect(() => fs.lock(lockPath)).toThrow(LockError)
    lock.release()
  })

  it('takes over a dead holder and an unreadable (empty) LOCK', () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!
    nodeFs.writeFileSync(lockPath, `${dead}\n`)
    fs.lock(lockPath).release()
    nodeFs.writeFileSync(lockPath, '')
    const lock = fs.lock(lockPath)
    expect(nodeFs.readFileSync(lockPath, 'utf8').trim()).toBe(String(process.pid))
    lock.release()
    expect(nodeFs.existsSync(lockPath)).toBe(false)
  })

  it('wraps other OS errors as IOError', () => {
    nodeFs.writeFileSync(path.join(root, 'file'), 'x')
    expect(() => fs.list(path.join(root, 'file'))).toThrow(IOError)
    expect(() => fs.lock(path.join(root, 'file', 'LOCK'))).toThrow(IOError)
  })
})
