// `sett rotate-key <dir> --old K --new K`: re-seals the key registry of an encrypted database
// under a new master key. Data files are not touched (they are encrypted with the data keys).

import { rotateMasterKey } from '../../engine/index.js'
import { type Command, EXIT_OK, type Io, UsageError, dirArgument, parse, reportError, stringOption } from '../io.js'
import { KEY_HELP, parseKeyOption } from '../key-option.js'

const help = `Usage: sett rotate-key <dir> --old <key> --new <key>

Replaces the master key of the encrypted database in <dir>. The master key only seals the key
registry (KEYREGISTRY), which holds the data keys every file is encrypted with; this command
decrypts the registry with --old and writes it again sealed with --new (write a temporary file,
fsync, rename over KEYREGISTRY, fsync the directory: a crash leaves the old registry or the new
one). No data file is read or rewritten, so it takes milliseconds whatever the database size.
From then on the database opens with the new key only.

Takes the directory's LOCK: it fails with exit code 2 while another process has the database
open. A wrong --old key changes nothing.

Data keys rotate by themselves (the encryptionKeyRotation option, default 10 days); this
command is for the master key.

Options:
  --old <key>   the current master key: ${KEY_HELP}
  --new <key>   the new master key, same forms
  -h, --help

Exit codes: 0 done; 1 the registry is damaged; 2 usage error, wrong --old key, the database is
not encrypted, no database at <dir>, or <dir> is locked.
`

export const rotateKeyCommand: Command = {
  name: 'rotate-key',
  summary: 're-seal an encrypted database\'s key registry under a new master key',
  help,
  async run(args: string[], io: Io): Promise<number> {
    let dir: string | undefined
    try {
      const { values, positionals } = parse(args, { old: { type: 'string' }, new: { type: 'string' } })
      if (values.help) {
        io.stdout(help)
        return EXIT_OK
      }
      dir = dirArgument(positionals)
      const oldKey = parseKeyOption(stringOption(values, 'old'), 'old')
      const newKey = parseKeyOption(stringOption(values, 'new'), 'new')
      if (oldKey === undefined || newKey === undefined) throw new UsageError('both --old and --new are required')
      const { dataKeys } = await rotateMasterKey(dir, oldKey, newKey)
      io.stdout(`rotate-key ${dir}: key registry re-sealed under the new ${newKey.length * 8}-bit master key (${dataKeys} data key${dataKeys === 1 ? '' : 's'}, no data file touched)\n`)
      return EXIT_OK
    } catch (err) {
      return reportError('rotate-key', dir, err, io)
    }
  },
}
