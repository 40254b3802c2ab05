// `sett backup <dir> --out <file> [--since <seq>]`: a full or incremental backup of a database,
// opened read-only, written to a file (see docs/format.md, "Backups").

import { CorruptionError, open } from '../../engine/index.js'
import { backupTarget } from '../backup-target.js'
import { formatBytes } from '../format.js'
import { type Command, EXIT_FAILED, EXIT_OK, type Io, UsageError, dirArgument, parse, reportError, stringOption } from '../io.js'
import { KEY_OPTIONS, KEY_OPTIONS_HELP, encryptionKeyFrom } from '../key-option.js'
import { commandProgress } from '../progress.js'

const help = `Usage: sett backup <dir> --out <file|-> [--since <seq>] [--salvage] [--key <key> | --key-file <file>]

Writes a backup of the database in <dir> to <file>: every key and value (value-log values
included, so the file needs nothing else), checksummed in chunks and ended by a trailer that
counts them. The file appears only when complete (written as <file>.partial, synced, renamed).
With --out -, the backup goes to standard output (the summary to stderr); an existing <file>
that is not a regular file (a pipe, a terminal, a device) is written to directly, never
replaced; a directory is refused.

With --since <seq>, an incremental backup: only keys whose newest version is newer than <seq>,
deletions included. Pass the "until" sequence a previous backup printed; restoring the full
backup and then each incremental in order gives the state of the last one.

With --salvage, damage does not stop the backup: a table block that fails its checksum is
skipped (its keys are left out, or an older version of them from another table goes in), and so
is a key whose value-log value cannot be read; the summary says how many blocks and values were
skipped, and the exit code is 1 when any was. Without it, damage fails the backup (exit 1) and
no file is written. Use it to save what can be saved before 'sett repair'.

Opens the database read-only: nothing in <dir> changes, and data still in the WALs is included.
Several readers may share a database, but not with a writer: while another process has it open
for writing, this fails with exit code 2 (a program can call db.backup() on its open database).

Options:
  --out <file>    where to write the backup (required; a regular file is replaced; - for stdout)
  --since <seq>   an incremental backup of what changed after sequence <seq>
  --salvage       skip damaged blocks and unreadable values instead of failing
${KEY_OPTIONS_HELP}
  -h, --help

Exit codes: 0 done; 1 the database is damaged (with --salvage: the backup was written, but
damaged data was skipped) or the write failed; 2 usage error, no database
at <dir>, or <dir> is open for writing.
`

/** A --since value: a non-negative integer. */
export function sequenceOption(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new UsageError(`${name} must be a sequence number (an integer >= 0), got ${text}`)
  return n
}

export const backupCommand: Command = {
  name: 'backup',
  summary: 'write a full or incremental (--since) backup file (read-only)',
  help,
  async run(args: string[], io: Io): Promise<number> {
    let dir: string | undefined
    const progress = commandProgress(io, 'backup', ' entries')
    try {
      const { values, positionals } = parse(args, { out: { type: 'string', short: 'o' }, since: { type: 'string' }, salvage: { type: 'boolean' }, ...KEY_OPTIONS })
      if (values.help) {
        io.stdout(help)
        return EXIT_OK
      }
      dir = dirArgument(positionals)
      const out = stringOption(values, 'out')
      if (out === undefined || out.length === 0) throw new UsageError('missing --out <file>')
      const since = sequenceOption(stringOption(values, 'since'), '--since')
      const encryptionKey = encryptionKeyFrom(values)
      const target = backupTarget(out, io)
      const db = await open(dir, { readOnly: true, encryptionKey })
      try {
        const started = performance.now()
        const r = await db.backup(target.dest, { since, salvage: values.salvage === true, onProgress: progress.onProgress })
        progress.stop()
        await target.close()
        const s = (performance.now() - started) / 1000
        const print = target.toStdout ? io.stderr : io.stdout
        print(
          `backup of ${dir} to ${out}: ${r.since === 0 ? 'full' : `incremental since ${r.since}`}, until sequence ${r.until}\n` +
          `  ${r.records} records, ${formatBytes(r.bytes)} in ${s.toFixed(2)} s\n` +
          `  next incremental: sett backup ${dir} --out <file> --since ${r.until}\n`,
        )
        const skipped = r.skippedBlocks ?? []
        if (values.salvage === true) {
          let text = `  salvage: ${skipped.length} damaged block${skipped.length === 1 ? '' : 's'} skipped, ${r.unreadableValues ?? 0} unreadable value${r.unreadableValues === 1 ? '' : 's'} skipped\n`
          for (const b of skipped) text += `    skipped ${b.file} block at offset ${b.offset}\n`
          if (skipped.length > 0 || (r.unreadableValues ?? 0) > 0) {
            io.stderr(text + 'SALVAGED WITH LOSS: the keys of the skipped blocks are missing from the backup (or older versions of them are in it)\n')
            return EXIT_FAILED
          }
          print(text)
        }
      } finally {
        progress.stop()
        await db.close()
      }
      return EXIT_OK
    } catch (err) {
      progress.stop()
      if (err instanceof CorruptionError) io.stderr(`sett backup: 'sett backup ${dir} --salvage --out <file>' saves what can still be read.\n`)
      return reportError('backup', dir, err, io)
    }
  },
}
