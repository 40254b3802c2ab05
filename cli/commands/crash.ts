// `sett crash`: the crash-harness command (crash/run.ts), run with the remaining arguments.

import { delegateCommand } from './delegate.js'

export const crashCommand = delegateCommand('crash', 'crash/run.ts', 'crash', 'run the crash harness (crash/run.ts)', 'the crash-harness command')
