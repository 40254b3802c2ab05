// `sett gc <dir> [--ratio r]`: value-log garbage collection until no file has at least r garbage.

import { open } from '../../engine/index.js'
import { formatBytes, formatPercent } from '../format.js'
import { type Command, EXIT_OK, type Io, UsageError, dirArgument, parse, reportError, stringOption } from '../io.js'
import { KEY_OPTIONS, KEY_OPTIONS_HELP, encryptionKeyFrom } from '../key-option.js'
import { commandProgress } from '../progress.js'

const help = `Usage: sett gc <dir> [--ratio <r>] [--key <key> | --key-file <file>]

Opens the database in <dir> and calls runValueLogGC(r) until it reports nothing left to do:
each call rewrites the one value-log file with the most garbage, if at least r of it is
garbage, and deletes it. Prints the files collected and the bytes given back. The garbage
counts come from compaction: run 'sett compact' first to count all of it.

Takes the directory's LOCK like any writer: it fails with exit code 2 while another process
has the database open. Never creates a database.

Options:
  --ratio <r>   discard ratio, greater than 0 and below 1 (default 0.5)
${KEY_OPTIONS_HELP}
  -h, --help

Exit codes: 0 done (also when nothing was collected); 1 the database is damaged or GC failed;
2 usage error, no database at <dir>, or <dir> is locked.
`

export const gcCommand: Command = {
  name: 'gc',
  summary: 'value-log garbage collection: rewrite files with at least --ratio garbage',
  help,
  async run(args: string[], io: Io): Promise<number> {
    let dir: string | undefined
    try {
      const { values, positionals } = parse(args, { ratio: { type: 'string' }, ...KEY_OPTIONS })
      if (values.help) {
        io.stdout(help)
        return EXIT_OK
      }
      dir = dirArgument(positionals)
      const given = stringOption(values, 'ratio')
      const ratio = given === undefined ? 0.5 : Number(given)
      if (!(ratio > 0 && ratio < 1)) throw new UsageError(`--ratio must be a number greater than 0 and below 1, got ${given}`)
      const db = await open(dir, { createIfMissing: false, encryptionKey: encryptionKeyFrom(values) })
      try {
        const before = db.stats().valueLogs
        // One file per call; the bar counts them against the inactive files there are (an upper bound).
        const progress = commandProgress(io, 'gc', ' files')
        const candidates = Math.max(1, before.filter((v) => !v.active).length)
        let collected = 0
        try {
          while (await db.runValueLogGC(ratio)) progress.onProgress?.(Math.min(++collected, candidates), candidates)
          progress.onProgress?.(candidates, candidates)
        } finally {
          progress.stop()
        }
        const after = db.stats()
        const remaining = new Set(after.valueLogs.map((v) => v.number))
        const gone = before.filter((v) => !remaining.has(v.number))
        let out = `gc ${dir} at ratio ${ratio}: ${after.valueLogGC.filesCollected} file${after.valueLogGC.filesCollected === 1 ? '' : 's'} collected, ` +
          `${formatBytes(after.valueLogGC.bytesReclaimed)} given back\n`
        for (const v of gone) out += `  collected ${String(v.number).padStart(6, '0')}.vlog (${formatBytes(v.bytes)}, ${formatPercent(v.discardRatio)} garbage)\n`
        for (const v of after.valueLogs) {
          out += `  kept ${String(v.number).padStart(6, '0')}.vlog (${formatBytes(v.bytes)}, ${formatPercent(v.discardRatio)} garbage${v.active ? ', active' : ''})\n`
        }
        io.stdout(out)
      } finally {
        await db.close()
      }
      return EXIT_OK
    } catch (err) {
      return reportError('gc', dir, err, io)
    }
  },
}
