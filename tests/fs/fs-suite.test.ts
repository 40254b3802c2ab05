// One behavioural suite run against both FileSystem implementations: whatever the engine sees
// must not depend on which one is underneath. Crash behaviour is MemFileSystem's alone
// (base/mem-fs.test.ts); the OS lock is RealFileSystem's alone (tests/fs/real-fs.test.ts, os-lock.test.ts).

import { spawnSync } from 'node:child_process'
import * as nodeFs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InvalidArgumentError, IOError, LockError, NotFoundError } from '../../base/errors.js'
import type { FileSystem } from '../../base/fs.js'
import { MemFileSystem } from '../../base/mem-fs.js'
import { RealFileSystem } from '../../base/real-fs.js'

interface Fixture {
  fs: FileSystem
  /** An existing, empty directory to work in. */
  root: string
  cleanup(): void
}

const implementations: Array<{ name: string; make(): Fixture }> = [
  {
    name: 'MemFileSystem',
    make() {
      const fs = new MemFileSystem()
      fs.mkdir('/work/db')
      return { fs, root: '/work/db', cleanup() {} }
    },
  },
  {
    name: 'RealFileSystem',
    make() {
      const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'sett-'))
      return { fs: new RealFileSystem(), root, cleanup: () => nodeFs.rmSync(root, { recursive: true, force: true }) }
    },
  },
]

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b)
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

/** The PID of a process that has just exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', ''])
  expect(child.status).toBe(0)
  return child.pid!
}

describe.each(implementations)('$name', ({ make }) => {
  let fx: Fixture
  let fs: FileSystem
  let at: (name: string) => string

  beforeEach(() => {
    fx = make()
    fs = fx.fs
    at = (name) => path.join(fx.root, name)
  })
  afterEach(() => fx.cleanup())

  async function write(name: string, data: Uint8Array): Promise<void> {
    const w = fs.create(at(name))
    w.append(data)
    await w.sync()
    await w.close()
  }

  it('creates, appends, reads and sizes a file', async () => {
    const w = fs.create(at('a'))
    expect(w.path).toBe(at('a'))
    expect(w.size).toBe(0)
    w.append(bytes(1, 2, 3))
    const data = bytes(4, 5)
    w.append(data)
    data[0] = 99 // the caller may reuse its buffer
    expect(w.size).toBe(5)
    await w.sync()
    await w.close()

    expect(fs.readFile(at('a'))).toEqual(bytes(1, 2, 3, 4, 5))
    const r = fs.openRead(at('a'))
    expect(r.size).toBe(5)
    expect(r.read(1, 3)).toEqual(bytes(2, 3, 4))
    expect(r.read(3, 10)).toEqual(bytes(4, 5)) // short where the file ends
    expect(r.read(5, 4)).toEqual(bytes())
    expect(r.read(0, 0)).toEqual(bytes())
    const got = r.read(0, 2)
    got[0] = 42 // the caller owns the result
    expect(r.read(0, 2)).toEqual(bytes(1, 2))
    r.close()
  })

  it('readInto fills the caller\'s buffer and says how much it read', async () => {
    await write('a', bytes(1, 2, 3, 4, 5))
    const r = fs.openRead(at('a'))
    const dest = new Uint8Array(8).fill(9)
    expect(r.readInto!(1, 3, dest)).toBe(3)
    expect(dest).toEqual(bytes(2, 3, 4, 9, 9, 9, 9, 9))
    expect(r.readInto!(3, 8, dest)).toBe(2) // short where the file ends
    expect(dest.subarray(0, 2)).toEqual(bytes(4, 5))
    expect(r.readInto!(5, 4, dest)).toBe(0)
    expect(() => r.readInto!(0, 9, dest)).toThrow(InvalidArgumentError)
    r.close()
    expect(() => r.readInto!(0, 1, dest)).toThrow(IOError)
  })

  it('returns plain Uint8Arrays', async () => {
    await write('a', bytes(1))
    expect(Object.getPrototypeOf(fs.readFile(at('a')))).toBe(Uint8Array.prototype)
    const r = fs.openRead(at('a'))
    expect(Object.getPrototypeOf(r.read(0, 1))).toBe(Uint8Array.prototype)
    r.close()
  })

  it('reads a file while it is still being appended', async () => {
    const w = fs.create(at('log'))
    w.append(bytes(1, 2))
    const r = fs.openRead(at('log'))
    expect(r.size).toBe(2)
    w.append(bytes(3))
    expect(r.read(0, 10)).toEqual(bytes(1, 2, 3))
    r.close()
    await w.close()
  })

  it('openAppend continues at the end of an existing file', async () => {
    await write('a', bytes(1, 2))
    const w = fs.openAppend(at('a'))
    expect(w.size).toBe(2)
    w.append(bytes(3))
    expect(w.size).toBe(3)
    await w.sync()
    await w.close()
    expect(fs.readFile(at('a'))).toEqual(bytes(1, 2, 3))
  })

  it('create over an existing file empties it', async () => {
    await write('a', bytes(1, 2, 3))
    const w = fs.create(at('a'))
    w.append(bytes(9))
    await w.close()
    expect(fs.readFile(at('a'))).toEqual(bytes(9))
  })

  it('appends a large buffer whole', async () => {
    const big = new Uint8Array(3 << 20)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff
    await write('big', big)
    // Buffer.equals: element-wise toEqual takes seconds on megabytes.
    expect(Buffer.from(fs.readFile(at('big'))).equals(big)).toBe(true)
    const r = fs.openRead(at('big'))
    expect(r.read(1 << 20, 5)).toEqual(big.subarray(1 << 20, (1 << 20) + 5))
    r.close()
  })

  it('rename moves a file and replaces the target', async () => {
    await write('tmp', text('new'))
    await write('CURRENT', text('old'))
    fs.rename(at('tmp'), at('CURRENT'))
    await fs.syncDir(fx.root)
    expect(fs.exists(at('tmp'))).toBe(false)
    expect(fs.readFile(at('CURRENT'))).toEqual(text('new'))
    expect(fs.list(fx.root)).toEqual(['CURRENT'])
  })

  it('remove deletes a file; a missing file is not an error', async () => {
    await write('a', bytes(1))
    fs.remove(at('a'))
    expect(fs.exists(at('a'))).toBe(false)
    expect(() => fs.remove(at('a'))).not.toThrow()
  })

  it('list returns sorted names, directories included, only directly under dir', async () => {
    for (const name of ['000010.sst', 'MANIFEST-000002', '000002.wal', 'CURRENT', 'b']) await write(name, bytes(0))
    fs.mkdir(at('sub/deeper'))
    await write('sub/inner', bytes(0))
    expect(fs.list(fx.root)).toEqual(['000002.wal', '000010.sst', 'CURRENT', 'MANIFEST-000002', 'b', 'sub'])
    expect(fs.list(at('sub'))).toEqual(['deeper', 'inner'])
    expect(fs.list(at('sub/deeper'))).toEqual([])
  })

  it('exists sees files and directories', async () => {
    expect(fs.exists(at('a'))).toBe(false)
    await write('a', bytes())
    expect(fs.exists(at('a'))).toBe(true)
    expect(fs.exists(fx.root)).toBe(true)
  })

  it('mkdir creates parents and accepts an existing directory', () => {
    fs.mkdir(at('x/y/z'))
    fs.mkdir(at('x/y'))
    expect(fs.exists(at('x/y/z'))).toBe(true)
    expect(fs.list(at('x'))).toEqual(['y'])
  })

  it('throws NotFoundError for what does not exist', async () => {
    expect(() => fs.openRead(at('missing'))).toThrow(NotFoundError)
    expect(() => fs.openAppend(at('missing'))).toThrow(NotFoundError)
    expect(() => fs.readFile(at('missing'))).toThrow(NotFoundError)
    expect(() => fs.truncate(at('missing'), 0)).toThrow(NotFoundError)
    expect(() => fs.rename(at('missing'), at('b'))).toThrow(NotFoundError)
    expect(() => fs.list(at('missing'))).toThrow(NotFoundError)
    expect(() => fs.create(at('no/such/dir/a'))).toThrow(NotFoundError)
    await expect(fs.syncDir(at('missing'))).rejects.toThrow(NotFoundError)
    expect(fs.exists(at('missing'))).toBe(false)
  })

  it('truncate cuts a file, and can be made durable by openAppend + sync', async () => {
    await write('a', bytes(1, 2, 3, 4))
    fs.truncate(at('a'), 2)
    expect(fs.readFile(at('a'))).toEqual(bytes(1, 2))
    const w = fs.openAppend(at('a'))
    expect(w.size).toBe(2)
    w.append(bytes(7))
    await w.sync()
    await w.close()
    expect(fs.readFile(at('a'))).toEqual(bytes(1, 2, 7))
    expect(() => fs.truncate(at('a'), -1)).toThrow(InvalidArgumentError)
  })

  it('sync and syncDir resolve', async () => {
    const w = fs.create(at('a'))
    w.append(bytes(1))
    await expect(w.sync()).resolves.toBeUndefined()
    await expect(fs.syncDir(fx.root)).resolves.toBeUndefined()
    await w.close()
  })

  it('refuses to use a closed handle', async () => {
    const w = fs.create(at('a'))
    await w.close()
    expect(() => w.append(bytes(1))).toThrow(IOError)
    await expect(w.sync()).rejects.toThrow(IOError)
    const r = fs.openRead(at('a'))
    r.close()
    expect(() => r.read(0, 1)).toThrow(IOError)
  })

  it('lock is exclusive until released; the LOCK file stays', () => {
    const lock = fs.lock(at('LOCK'))
    expect(fs.exists(at('LOCK'))).toBe(true)
    expect(() => fs.lock(at('LOCK'))).toThrow(LockError)
    lock.release()
    expect(fs.exists(at('LOCK'))).toBe(true)
    const again = fs.lock(at('LOCK'))
    expect(() => fs.lock(at('LOCK'))).toThrow(LockError)
    again.release()
  })

  it('shared locks exclude writers only, and writers exclude them', () => {
    const r1 = fs.lock(at('LOCK'), 'shared')
    const r2 = fs.lock(at('LOCK'), 'shared')
    expect(() => fs.lock(at('LOCK'))).toThrow(LockError)
    r1.release()
    expect(() => fs.lock(at('LOCK'), 'exclusive')).toThrow(LockError)
    r2.release()
    r2.release()
    const w = fs.lock(at('LOCK'))
    expect(() => fs.lock(at('LOCK'), 'shared')).toThrow(LockError)
    w.release()
    fs.lock(at('LOCK'), 'shared').release()
  })

  it('takes over a stale lock left by a dead process', async () => {
    await write('LOCK', text(`${deadPid()}\n`))
    const lock = fs.lock(at('LOCK'))
    expect(() => fs.lock(at('LOCK'))).toThrow(LockError)
    lock.release()
  })
})
