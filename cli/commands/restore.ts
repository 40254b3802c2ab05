// `sett restore <dir> --in <file>`: a backup file into a database directory, checked whole before
// anything is written (see docs/format.md, "Backups").

import { existsSync, readdirSync } from 'node:fs'
import type { Readable } from 'node:stream'
import { CorruptionError, InvalidArgumentError, restore } from '../../engine/index.js'
import { formatBytes } from '../format.js'
import { KEY_OPTIONS, KEY_OPTIONS_HELP, encryptionKeyFrom } from '../key-option.js'
import { commandProgress } from '../progress.js'
import { type Command, EXIT_FAILED, EXIT_OK, EXIT_USAGE, type Io, UsageError, dirArgument, parse, reportError, stringOption } from '../io.js'

const help = `Usage: sett restore <dir> --in <file|-> [--key <key> | --key-file <file>]

Restores the backup in <file> (made by 'sett backup' or db.backup()) into <dir>.

A full backup goes into a new database: <dir> must be missing or empty. An incremental backup
(--since when it was made) goes onto the database a previous restore made in <dir>, which must
be at the backup's starting sequence or later: restore the full backup first, then each
incremental in the order they were taken. A link missing from the chain is refused.

The whole file is read and every checksum, the record count and the whole-file checksum are
checked before anything is written: a damaged or cut file restores nothing (exit 1).

Takes the directory's LOCK like any writer: it fails with exit code 2 while another process
has the database open.

Options:
  --in <file>   the backup file (required; - reads it from standard input)
${KEY_OPTIONS_HELP}
                     (the restored database is encrypted with this key)
  -h, --help

Exit codes: 0 done; 1 the backup file is damaged or the restore failed; 2 usage error, a
non-empty <dir> for a full backup, no database at <dir> for an incremental one, a chain link
missing, or <dir> is locked.
`

function isEmptyOrMissing(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0
}

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'restore a backup file into a new database, or an incremental one onto it',
  help,
  async run(args: string[], io: Io): Promise<number> {
    let dir: string | undefined
    let file: string | undefined
    try {
      const { values, positionals } = parse(args, { in: { type: 'string', short: 'i' }, ...KEY_OPTIONS })
      if (values.help) {
        io.stdout(help)
        return EXIT_OK
      }
      dir = dirArgument(positionals)
      file = stringOption(values, 'in')
      if (file === undefined || file.length === 0) throw new UsageError('missing --in <file>')
      const started = performance.now()
      const encryptionKey = encryptionKeyFrom(values)
      let source: string | Readable = file
      if (file === '-') {
        if (io.stdinBytes === undefined) throw new UsageError('--in - needs a standard input to read from')
        source = io.stdinBytes
      }
      const progress = commandProgress(io, 'restore', ' B')
      let r
      try {
        r = await restore(dir, source, { encryptionKey, onProgress: progress.onProgress })
      } finally {
        progress.stop()
      }
      const s = (performance.now() - started) / 1000
      io.stdout(
        `restored ${file} into ${dir}: ${r.since === 0 ? 'full backup' : `incremental since ${r.since}`}, until sequence ${r.until}\n` +
        `  ${r.records} records, ${formatBytes(r.bytes)} in ${s.toFixed(2)} s\n`,
      )
      return EXIT_OK
    } catch (err) {
      if (err instanceof CorruptionError && file !== undefined && err.file === file) {
        io.stderr(`sett restore: the backup is damaged: ${err.message}\nNothing was restored.\n`)
        return EXIT_FAILED
      }
      if (err instanceof Error && (err as { code?: string }).code === 'SETT_NOT_FOUND' && dir !== undefined && isEmptyOrMissing(dir) && file !== undefined && !err.message.startsWith(`open ${file}`)) {
        // A full backup creates <dir>; only an incremental one needs a database there.
        io.stderr(`sett restore: ${file} is an incremental backup and ${dir} holds no database: restore the full backup first, then each incremental in order.\n`)
        return EXIT_USAGE
      }
      if (err instanceof InvalidArgumentError) {
        io.stderr(`sett restore: ${err.message}\nNothing was restored.\n`)
        return EXIT_USAGE
      }
      if (err instanceof Error && (err as { code?: string }).code === 'SETT_NOT_FOUND' && file !== undefined) {
        const inputMissing = err.message.startsWith(`open ${file}`)
        if (inputMissing) {
          io.stderr(`sett restore: no backup file at ${file}\n`)
          return EXIT_USAGE
        }
      }
      return reportError('restore', dir, err, io)
    }
  },
}
