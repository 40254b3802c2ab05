// `sett bench`: the benchmark command (bench/run.ts), run with the remaining arguments.

import { delegateCommand } from './delegate.js'

export const benchCommand = delegateCommand('bench', 'bench/run.ts', 'bench', 'run the benchmarks (bench/run.ts)', 'the benchmark command')
