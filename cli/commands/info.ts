// `sett info <dir>`: levels, tables, sizes, value-log files with their garbage, WALs, leftovers,
// the last sequence number and space amplification, read without taking the lock.

import { type DatabaseInfo, inspectDatabase } from '../../engine/index.js'
import { columns, formatBytes, formatKey, formatPercent } from '../format.js'
import { type Command, EXIT_OK, type Io, dirArgument, parse, reportError } from '../io.js'
import { KEY_OPTIONS, KEY_OPTIONS_HELP, encryptionKeyFrom } from '../key-option.js'

const TABLES_SHOWN = 10

const help = `Usage: sett info <dir> [--all] [--json] [--key <key> | --key-file <file>]

Prints what the database in <dir> holds: per level its tables (size, entries, key range,
sequence range), each value-log file with its garbage (discard bytes and ratio, the number
runValueLogGC compares with its ratio), the WALs not yet flushed, files that are not live
(leftovers the next open removes), the last sequence number, and space amplification
(bytes on disk / estimated live key and value bytes).

Read-only: never writes to <dir> and never takes its LOCK. On a database another process has
open, it warns and reads anyway; tables, value-log files and the manifest are immutable or
append-only, but the writer may replace files while they are read, so the picture can be a
moment out of date or fail (run it again, or close the writer).

Options:
  --all     list every table (default: the first ${TABLES_SHOWN} of each level)
  --json    print the result as JSON (keys as hex)
${KEY_OPTIONS_HELP}
  -h, --help

Exit codes: 0 ok; 1 CURRENT or the manifest is damaged; 2 usage error, or no database at <dir>.
`

export const infoCommand: Command = {
  name: 'info',
  summary: 'levels, tables, value-log files, sizes and amplification (read-only)',
  help,
  async run(args: string[], io: Io): Promise<number> {
    let dir: string | undefined
    try {
      const { values, positionals } = parse(args, { all: { type: 'boolean' }, json: { type: 'boolean' }, ...KEY_OPTIONS })
      if (values.help) {
        io.stdout(help)
        return EXIT_OK
      }
      dir = dirArgument(positionals)
      const info = inspectDatabase(dir, { encryptionKey: encryptionKeyFrom(values) })
      if (info.lockedBy !== undefined) {
        io.stderr(`sett info: warning: ${dir} is open in process ${info.lockedBy}; reading it without the lock, it may change meanwhile\n`)
      }
      io.stdout(values.json ? toJson(info) : describe(info, values.all === true))
      return EXIT_OK
    } catch (err) {
      return reportError('info', dir, err, io)
    }
  },
}

function toJson(info: DatabaseInfo): string {
  return JSON.stringify(info, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v), 2) + '\n'
}

export function describe(info: DatabaseInfo, all: boolean): string {
  let out = `database ${info.dir}${info.lockedBy === undefined ? '' : ` (open in process ${info.lockedBy})`}\n`
  out += `last sequence ${info.lastSeq} (manifest ${info.manifestLastSeq}${info.lastSeq > info.manifestLastSeq ? `, WALs up to ${info.lastSeq}` : ""})\n`
  out += `manifest MANIFEST-${String(info.manifestNumber).padStart(6, '0')}, ` +
    `next file number ${info.nextFileNumber}, log number ${info.logNumber}\n`

  out += '\nlevels:\n'
  const levelRows = info.levels.map((l) => {
    const entries = l.tables.reduce((n, t) => n + t.entryCount, 0)
    return [`L${l.level}`, `${l.tables.length} tables`, formatBytes(l.bytes), `${entries} entries`]
  })
  out += columns(levelRows)
  for (const l of info.levels) {
    if (l.tables.length === 0) continue
    out += `\nL${l.level} tables:\n`
    const shown = all ? l.tables : l.tables.slice(0, TABLES_SHOWN)
    out += columns(shown.map((t) => [
      `${String(t.fileNumber).padStart(6, '0')}.sst`,
      formatBytes(t.size),
      `${t.entryCount} entries`,
      `${formatKey(t.smallestKey)} .. ${formatKey(t.largestKey)}`,
      `seq ${t.minSeq}..${t.maxSeq}`,
      t.error === undefined
        ? `${t.properties?.tombstoneCount ?? 0} tombstones`
        : `UNREADABLE: ${t.error}`,
    ]))
    if (shown.length < l.tables.length) out += `  … ${l.tables.length - shown.length} more (--all)\n`
  }

  out += '\nvalue log:\n'
  if (info.valueLogs.length === 0) out += '  (no files)\n'
  else {
    out += columns(info.valueLogs.map((v) => [
      `${String(v.number).padStart(6, '0')}.vlog`, formatBytes(v.bytes),
      `discard ${formatBytes(v.discardBytes)}`, `ratio ${formatPercent(v.discardRatio)}`, ...(v.whole ? ['whole (written by a flush)'] : []),
    ]))
  }
  out += '\nWALs:\n'
  if (info.wals.length === 0) out += '  (none)\n'
  else out += columns(info.wals.map((w) => [`${String(w.number).padStart(6, '0')}.wal`, formatBytes(w.bytes)]))
  out += `\nleftovers: ${info.leftovers.length === 0 ? 'none' : info.leftovers.join(', ')}\n`

  out += `\ntotal ${formatBytes(info.totalBytes)} on disk; live keys and values ~${formatBytes(info.liveKeyValueBytes)} (estimate); ` +
    `space amplification ${info.spaceAmplification === 0 ? '-' : `${info.spaceAmplification.toFixed(2)}x`}\n`
  return out
}
