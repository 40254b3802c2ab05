// Every file name in a database directory is built and parsed here, and nowhere else.
//
//   LOCK               the directory lock (an OS lock on this file; a writer's PID inside, for messages)
//   LOCK.r.PID         left by read-only opens of older versions (PID files); ignored
//   CURRENT            names the live manifest
//   MANIFEST-NNNNNN    the manifest (log of version edits)
//   NNNNNN.wal         write-ahead log of one memtable
//   NNNNNN.sst         sorted table
//   NNNNNN.vlog        value-log file
//   NNNNNN.tmp         a file being written; never live, removed on open
//   KEYREGISTRY        data keys sealed under the master key (encrypted databases only)
//   KEYREGISTRY.tmp    the registry's replacement being written

import { join } from 'node:path'

export type FileKind = 'lock' | 'current' | 'manifest' | 'wal' | 'table' | 'vlog' | 'temp'

export interface ParsedFileName {
  kind: FileKind
  /** The file number; 0 for LOCK and CURRENT, the PID for an old reader's LOCK.r.PID. */
  number: number
}

function pad(n: number): string {
  return String(n).padStart(6, '0')
}

export const LOCK_FILE = 'LOCK'
const READER_LOCK = /^LOCK\.r\.(\d+)$/
export const CURRENT_FILE = 'CURRENT'
export const KEY_REGISTRY_FILE = 'KEYREGISTRY'
/** The folder repair (engine/repair.ts) puts the old manifest, CURRENT and damaged files in. */
export const LOST_DIR = 'lost'
export const KEY_REGISTRY_TEMP_FILE = 'KEYREGISTRY.tmp'

export const walFileName = (n: number): string => `${pad(n)}.wal`
export const tableFileName = (n: number): string => `${pad(n)}.sst`
export const vlogFileName = (n: number): string => `${pad(n)}.vlog`
export const manifestFileName = (n: number): string => `MANIFEST-${pad(n)}`
export const tempFileName = (n: number): string => `${pad(n)}.tmp`

export const filePath = (dir: string, name: string): string => join(dir, name)

const NUMBERED = /^(\d{6,})\.(wal|sst|vlog|tmp)$/
const MANIFEST = /^MANIFEST-(\d{6,})$/
const SUFFIX_KIND: Record<string, FileKind> = { wal: 'wal', sst: 'table', vlog: 'vlog', tmp: 'temp' }

/** Parses a name in a database directory; undefined for names that are not the engine's. */
export function parseFileName(name: string): ParsedFileName | undefined {
  if (name === LOCK_FILE) return { kind: 'lock', number: 0 }
  const r = READER_LOCK.exec(name)
  if (r) return { kind: 'lock', number: Number(r[1]) }
  if (name === CURRENT_FILE) return { kind: 'current', number: 0 }
  let m = MANIFEST.exec(name)
  if (m) return { kind: 'manifest', number: Number(m[1]) }
  m = NUMBERED.exec(name)
  if (m) return { kind: SUFFIX_KIND[m[2]], number: Number(m[1]) }
  return undefined
}
