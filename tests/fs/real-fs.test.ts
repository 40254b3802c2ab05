// RealFileSystem alone: its lock is an OS lock on LOCK (the PID inside only names the holder), kept
// by an open fd, so a second open file of LOCK is refused whatever the file says.

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

  it('a writer writes our PID into LOCK and clears it on release; LOCK itself stays', () => {
    const lock = fs.lock(lockPath)
    expect(nodeFs.readFileSync(lockPath, 'utf8').trim()).toBe(String(process.pid))
    lock.release()
    lock.release()
    expect(nodeFs.readFileSync(lockPath, 'utf8')).toBe('')
  })

  it('a reader writes nothing, and creates an empty LOCK only where there is none', () => {
    nodeFs.writeFileSync(lockPath, '12345\n')
    const before = nodeFs.statSync(lockPath).mtimeMs
    fs.lock(lockPath, 'shared').release()
    expect(nodeFs.readFileSync(lockPath, 'utf8')).toBe('12345\n')
    expect(nodeFs.statSync(lockPath).mtimeMs).toBe(before)
    nodeFs.rmSync(lockPath)
    fs.lock(lockPath, 'shared').release()
    expect(nodeFs.readFileSync(lockPath, 'utf8')).toBe('')
  })

  it('the PID in LOCK decides nothing: any PID, ours, a dead one or garbage, is taken over when no one holds the lock', () => {
    for (const text of [`${process.pid}\n`, '1\n', '999999999\n', 'garbage', '']) {
      nodeFs.writeFileSync(lockPath, text)
      const lock = fs.lock(lockPath)
      expect(nodeFs.readFileSync(lockPath, 'utf8').trim()).toBe(String(process.pid))
      lock.release()
    }
  })

  it('refuses a second lock from this process, also through another instance and a relative path', () => {
    const lock = fs.lock(lockPath)
    expect(() => new RealFileSystem().lock(lockPath)).toThrow(LockError)
    expect(() => fs.lock(path.relative(process.cwd(), lockPath))).toThrow(/this process/)
    expect(() => fs.lock(lockPath, 'shared')).toThrow(LockError)
    lock.release()
    const shared = fs.lock(lockPath, 'shared')
    expect(() => fs.lock(lockPath)).toThrow(/this process .*open read-only/)
    shared.release()
  })

  it('wraps other OS errors as IOError', () => {
    nodeFs.writeFileSync(path.join(root, 'file'), 'x')
    expect(() => fs.list(path.join(root, 'file'))).toThrow(IOError)
    expect(() => fs.lock(path.join(root, 'file', 'LOCK'))).toThrow(IOError)
  })
})
