// `sett compact <dir>`: opens the database (taking its lock) and compacts a key range, all keys
// by default, down the levels.

import { open } from '../../engine/index.js'
import { formatBytes } from '../format.js'
import { type Command, EXIT_OK, type Io, dirArgument, parse, reportError, stringOption } from '../io.js'
import { KEY_OPTIONS, KEY_OPTIONS_HELP, encryptionKeyFrom } from '../key-option.js'
import { commandProgress } from '../progress.js'

const help = `Usage: sett compact <dir> [--start <key>] [--end <key>] [--key <key> | --key-file <file>]

Opens the database in <dir> and runs compactRange(start, end): every table overlapping the
range (all keys by default) is compacted down the levels, dropping overwritten and deleted
data. Value-log space is not given back here; run 'sett gc' afterwards.

Takes the directory's LOCK like any writer: it fails with exit code 2 while another process
has the database open. Never creates a database.

Options:
  --start <key>   first key of the range (UTF-8), inclusive
  --end <key>     last key of the range (UTF-8), inclusive
${KEY_OPTIONS_HELP}
  -h, --help

Exit codes: 0 done; 1 the database is damaged or the compaction failed; 2 usage error, no
database at <dir>, or <dir> is locked.
`

export const compactCommand: Command = {
  name: 'compact',
  summary: 'compact a key range (all keys by default) down the levels',
  help,
  async run(args: string[], io: Io): Promise<number> {
    let dir: string | undefined
    try {
      const { values, positionals } = parse(args, { start: { type: 'string' }, end: { type: 'string' }, ...KEY_OPTIONS })
      if (values.help) {
        io.stdout(help)
        return EXIT_OK
      }
      dir = dirArgument(positionals)
      const db = await open(dir, { createIfMissing: false, encryptionKey: encryptionKeyFrom(values) })
      try {
        // What the open replayed from the WALs is flushed in the background: flushed first here,
        // so "before" shows every table the compaction starts from, whatever the timing.
        await db.flush()
        const before = db.stats().levels
        const started = performance.now()
        const progress = commandProgress(io, 'compact', ' B')
        try {
          await db.compactRange(stringOption(values, 'start'), stringOption(values, 'end'), { onProgress: progress.onProgress })
        } finally {
          progress.stop()
        }
        const ms = performance.now() - started
        const after = db.stats()
        let out = `compacted ${dir} in ${(ms / 1000).toFixed(2)} s (${after.compactions} compactions, ` +
          `${formatBytes(after.compactionBytesRead)} read, ${formatBytes(after.compactionBytesWritten)} written)\n`
        for (const l of after.levels) {
          const b = before[l.level]
          if (b.files === 0 && l.files === 0) continue
          out += `  L${l.level}: ${b.files} tables ${formatBytes(b.bytes)} -> ${l.files} tables ${formatBytes(l.bytes)}\n`
        }
        io.stdout(out)
      } finally {
        await db.close()
      }
      return EXIT_OK
    } catch (err) {
      return reportError('compact', dir, err, io)
    }
  },
}
