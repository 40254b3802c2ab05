// Names a LevelDB or RocksDB directory as such when Sett cannot open it: a user switching from
// classic-level or rocksdb pointed at their old folder should read "this is a LevelDB database",
// not "CURRENT is not in the expected format". Only reads file names and CURRENT; never writes.

import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** 'RocksDB' or 'LevelDB' when `dir` looks like one of theirs, else undefined. */
export function foreignDatabaseKind(dir: string): 'LevelDB' | 'RocksDB' | undefined {
  let names: string[]
  let current: string
  try {
    names = readdirSync(dir)
    current = existsSync(join(dir, 'CURRENT')) ? readFileSync(join(dir, 'CURRENT'), 'latin1') : ''
  } catch {
    return undefined
  }
  if (names.some((n) => n.startsWith('OPTIONS-')) || names.includes('IDENTITY')) return 'RocksDB'
  // LevelDB's CURRENT is the manifest's name as text; its tables end in .ldb, its info log is LOG.
  if (/^MANIFEST-\d+\n$/.test(current) && (names.includes('LOG') || names.some((n) => n.endsWith('.ldb')))) return 'LevelDB'
  return undefined
}
