// `sett verify <dir>`: every checksum of every live file, read without taking the lock; exit 1
// on damage, naming the file and offset.

import { verifyDatabase } from '../../engine/index.js'
import { type Command, EXIT_FAILED, EXIT_OK, type Io, dirArgument, parse, reportError } from '../io.js'
import { KEY_OPTIONS, KEY_OPTIONS_HELP, encryptionKeyFrom } from '../key-option.js'
import { commandProgress } from '../progress.js'

const help = `Usage: sett verify <dir> [--json] [--key <key> | --key-file <file>]

Checks every checksum of every file of the database in <dir>: CURRENT; the manifest (replayed
record by record); every live table (header, footer, every block, entries against the index
and properties, size and entry count against the manifest); every live WAL (every record and
write batch, and that value pointers land inside live value-log files); every live value-log
file (header and every entry). Damage is printed as "<file> at offset <n>: <what>".

Not damage (printed as notes): a torn tail of the newest WAL, the newest value-log file or the
manifest — what a crash during an append leaves, which the next open cuts. Files that are not
live are listed as leftovers (the next open removes them). When CURRENT or the manifest is
unreadable, every table, WAL and value-log file in <dir> is checked on its own.

Read-only: never writes to <dir> and never takes its LOCK. On a database another process has
open, it warns and checks anyway; the writer may delete or append to files meanwhile, so a
problem found then should be confirmed once the writer has closed.

Options:
  --json    print the result as JSON
${KEY_OPTIONS_HELP}
  -h, --help

Exit codes: 0 no damage; 1 damage found; 2 usage error, or no database at <dir>.
`

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check every checksum of every file; exit 1 on damage (read-only)',
  help,
  async run(args: string[], io: Io): Promise<number> {
    let dir: string | undefined
    try {
      const { values, positionals } = parse(args, { json: { type: 'boolean' }, ...KEY_OPTIONS })
      if (values.help) {
        io.stdout(help)
        return EXIT_OK
      }
      dir = dirArgument(positionals)
      const progress = commandProgress(io, 'verify', ' files')
      let result
      try {
        result = verifyDatabase(dir, { encryptionKey: encryptionKeyFrom(values), onProgress: progress.onProgress })
      } finally {
        progress.stop()
      }
      if (result.lockedBy !== undefined) {
        io.stderr(`sett verify: warning: ${dir} is open in process ${result.lockedBy}; checking it without the lock, files may change meanwhile\n`)
      }
      if (values.json) {
        io.stdout(JSON.stringify(result, null, 2) + '\n')
        return result.ok ? EXIT_OK : EXIT_FAILED
      }
      let out = `verify ${dir}: ${result.filesChecked} files checked\n`
      for (const n of result.notes) out += `  note: ${n.file} at offset ${n.offset}: ${n.message}\n`
      for (const name of result.leftovers) out += `  leftover (not live): ${name}\n`
      io.stdout(out)
      if (result.ok) {
        io.stdout('OK: no damage found\n')
        return EXIT_OK
      }
      let err = ''
      for (const p of result.problems) err += `CORRUPT ${p.file} at offset ${p.offset}: ${p.message}\n`
      err += `FAILED: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}\n`
      io.stderr(err)
      return EXIT_FAILED
    } catch (err) {
      return reportError('verify', dir, err, io)
    }
  },
}
