// Runs abstract-level's conformance suite (abstract-level/test, with tape, as classic-level and
// memory-level run it) against SettLevel: each database the suite asks for gets a fresh directory
// under one temporary root, removed when the process exits. `npm test` runs it after vitest
// (vitest cannot host tape). Of tape's ~6,600 lines of TAP it prints each failing assertion with
// its test's name and details, then tape's own summary (`# tests`, `# pass`, `# fail`); tape
// sets a non-zero exit code on any failure. SETT_LEVEL_TAP=full prints the whole TAP stream.
//
// The root is on /dev/shm when there is one (real files through node:fs, in memory): the ~1,000 opens
// and closes (each with its fsyncs) take ~10 s there against ~20 s on this machine's disk.
//
//   npx tsx tests/level/suite.ts                      files under /dev/shm, else the temp dir
//   SETT_LEVEL_DIR=/some/dir npx tsx tests/level/suite.ts   files under that directory
//   SETT_LEVEL_FS=mem npx tsx tests/level/suite.ts    one MemFileSystem per database
//   SETT_LEVEL_TAP=full npx tsx tests/level/suite.ts  every line of TAP

import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tape from 'tape'
// @ts-expect-error the suite ships without type declarations
import suite from 'abstract-level/test/index.js'
import { MemFileSystem } from '../../engine/index.js'
import { SettLevel, type SettLevelOptions } from '../../level/index.js'

const inMemory = process.env.SETT_LEVEL_FS === 'mem'
const base = process.env.SETT_LEVEL_DIR ?? (writable('/dev/shm') ? '/dev/shm' : tmpdir())
const root = mkdtempSync(join(base, 'sett-level-suite-'))
process.on('exit', () => rmSync(root, { recursive: true, force: true }))

let databases = 0
const started = performance.now()
report(tape.createStream(), process.env.SETT_LEVEL_TAP === 'full', (passed, failed) => {
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  const where = inMemory ? 'MemFileSystem' : `files under ${base}`
  console.log(`# abstract-level suite on SettLevel: ${passed} passed, ${failed} failed (${databases} databases, ${where}, ${seconds} s)`)
})

suite({
  test: tape,
  factory(options?: SettLevelOptions<unknown, unknown>) {
    const location = join(root, String(databases++))
    // A 1 KiB memtable sends most of the suite's data through flushes into tables.
    const sett = { memtableSize: 1024, ...(inMemory ? { fs: new MemFileSystem() } : {}) }
    return new SettLevel(location, { ...options, ...sett })
  },
})

/**
 * Prints failures (with their test's name) and tape's summary, or everything when `full`; then
 * `done` with the counts of passed and failed assertions.
 */
function report(
  tap: { on(event: 'data', listener: (chunk: unknown) => void): unknown; on(event: 'end', listener: () => void): unknown },
  full: boolean,
  done: (passed: number, failed: number) => void,
): void {
  let passed = 0
  let failed = 0
  let partial = ''
  let test = ''
  let inFailure = false
  tap.on('data', (chunk) => {
    const lines = (partial + String(chunk)).split('\n')
    partial = lines.pop()!
    for (const line of lines) {
      if (line.startsWith('ok ')) passed++
      else if (line.startsWith('not ok')) failed++
      if (full) {
        console.log(line)
      } else if (line.startsWith('not ok')) {
        if (test !== '') console.log(test)
        test = ''
        inFailure = true
        console.log(line)
      } else if (inFailure && line.startsWith('  ')) {
        console.log(line)
      } else if (/^# (tests|pass|fail|todo|skip|ok)\b/.test(line) || /^1\.\.\d+$/.test(line)) {
        console.log(line)
      } else if (line.startsWith('# ')) {
        test = line
        inFailure = false
      } else if (line.startsWith('ok ')) {
        inFailure = false
      } else if (line !== '' && !line.startsWith('TAP version')) {
        console.log(line) // anything else a test printed
      }
    }
  })
  tap.on('end', () => done(passed, failed))
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK)
    return true
  } catch {
    return false
  }
}
