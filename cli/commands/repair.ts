// `sett repair <dir>`: rebuilds a database whose CURRENT, manifest or tables are damaged
// (engine/repair.ts), and prints what was recovered and what was not.

import { manifestFileName, tableFileName, vlogFileName, walFileName } from '../../base/filenames.js'
import { type RepairReport, repair } from '../../engine/index.js'
import { type Command, EXIT_FAILED, EXIT_OK, type Io, dirArgument, parse, reportError } from '../io.js'
import { KEY_OPTIONS, KEY_OPTIONS_HELP, encryptionKeyFrom } from '../key-option.js'
import { commandProgress } from '../progress.js'

const help = `Usage: sett repair <dir> [--json] [--key <key> | --key-file <file>]

Rebuilds the database in <dir> when it cannot be opened or read whole (LevelDB's RepairDB): a
garbage CURRENT, a damaged or cut manifest, a table with a damaged block. Every table, value-log
file and WAL is checked by its checksums; the readable tables are rewritten into new tables
(every version and deletion kept), a new manifest names them, the readable value-log files and
the WALs still to replay, and the old manifest, the old CURRENT and every damaged file are put
aside in <dir>/lost/. A damaged table gives up only its unreadable blocks.

What was lost is printed: tables and blocks (with the entries they held), value-log files,
WALs, and the highest sequence number kept. Keys of a lost block are gone; an older version of
such a key, from another table, may read in its place. Without a readable manifest,
dropPrefix/dropAll records are lost too, so keys they dropped may come back.

Takes the directory's LOCK like any writer (exit 2 while another process has it open). Run
'sett verify <dir>' first to see the damage, and take a copy of <dir> if the data matters.

Options:
  --json    print the report as JSON
${KEY_OPTIONS_HELP}
  -h, --help

Exit codes: 0 repaired, nothing lost; 1 repaired, but some data was lost (see the report) or
the repair failed; 2 usage error, no database at <dir>, or <dir> is locked.
`

/** True when the report names any data that did not come back. */
export function repairLostData(r: RepairReport): boolean {
  return r.tables.lost.length > 0 || r.skippedBlocks.length > 0 || r.valueLogs.lost.length > 0 ||
    r.valueLogs.damaged.length > 0 || r.wals.lost.length > 0 || r.danglingPointers > 0
}

function describe(r: RepairReport): string {
  let out = `repair ${r.dir}: new manifest ${manifestFileName(r.newManifest)}, last sequence ${r.lastSeq}\n`
  out += `  CURRENT: ${r.current.status}${r.current.message ? ` (${r.current.message})` : ''}\n`
  out += r.oldManifest === undefined
    ? '  old manifest: none readable\n'
    : `  old manifest: ${manifestFileName(r.oldManifest.number)} ${r.oldManifest.status}, ${r.oldManifest.edits} edits read${r.oldManifest.damage ? ` (${r.oldManifest.damage})` : ''}\n`
  const t = r.tables
  out += `  tables: ${t.intact.length} intact, ${t.salvaged.length} salvaged, ${t.lost.length} lost` +
    `${t.ignored.length > 0 ? `, ${t.ignored.length} leftovers removed` : ''}; rewritten as ${t.written.length} tables\n`
  for (const s of t.salvaged) out += `    salvaged ${tableFileName(s.number)}: ${s.blocksLost} block${s.blocksLost === 1 ? '' : 's'} lost (${s.entriesLost} entries): ${s.damage}\n`
  for (const l of t.lost) out += `    LOST ${tableFileName(l.number)}: ${l.damage}\n`
  out += `  recovered: ${r.keys} keys, ${r.entries} entries (all versions)\n`
  out += `  value-log files: ${r.valueLogs.kept.length} kept, ${r.valueLogs.damaged.length} damaged, ${r.valueLogs.lost.length} lost\n`
  for (const d of r.valueLogs.damaged) out += `    damaged ${vlogFileName(d.number)} at offset ${d.offset}: ${d.message}\n`
  for (const l of r.valueLogs.lost) out += `    LOST ${vlogFileName(l.number)}: ${l.message}\n`
  if (r.danglingPointers > 0) out += `  ${r.danglingPointers} entries point at lost value-log data\n`
  out += `  WALs: ${r.wals.replayed.length} to replay at the next open, ${r.wals.flushed.length} already flushed, ${r.wals.lost.length} lost\n`
  for (const l of r.wals.lost) out += `    LOST ${walFileName(l.number)}: ${l.message}\n`
  if (r.movedToLost.length > 0) out += `  kept aside in ${r.lostDir}: ${r.movedToLost.join(', ')}\n`
  for (const n of r.notes) out += `  note: ${n}\n`
  return out
}

export const repairCommand: Command = {
  name: 'repair',
  summary: 'rebuild a damaged database from its readable files; damaged ones go to <dir>/lost',
  help,
  async run(args: string[], io: Io): Promise<number> {
    let dir: string | undefined
    const progress = commandProgress(io, 'repair', ' B')
    try {
      const { values, positionals } = parse(args, { json: { type: 'boolean' }, ...KEY_OPTIONS })
      if (values.help) {
        io.stdout(help)
        return EXIT_OK
      }
      dir = dirArgument(positionals)
      const started = performance.now()
      const report = await repair(dir, { encryptionKey: encryptionKeyFrom(values), onProgress: progress.onProgress })
      progress.stop()
      const lost = repairLostData(report)
      if (values.json) io.stdout(JSON.stringify(report, null, 2) + '\n')
      else {
        io.stdout(describe(report))
        io.stdout(`${lost ? 'REPAIRED WITH LOSS' : 'REPAIRED: nothing lost'} in ${((performance.now() - started) / 1000).toFixed(2)} s\n`)
      }
      return lost ? EXIT_FAILED : EXIT_OK
    } catch (err) {
      progress.stop()
      return reportError('repair', dir, err, io)
    }
  },
}

