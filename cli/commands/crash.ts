// `sett crash`: the crash harness (crash/run), run with the remaining arguments; the help says what a run costs.

import { delegateCommand } from './delegate.js'

const help = `Usage: sett crash [options]   (its own option list: sett crash -- --help)

Runs the crash harness: kill cycles (a writer process SIGKILLed on this disk, then reopened and
checked against what it acknowledged), simulated power loss at sampled crash points (in memory),
and corruption injection (bit flips and truncations that must be detected). Prints the report and
a verdict; exit code 0 on PASS, 1 when anything was lost, phantom or undetected.

What a run costs:
  default     30 kill cycles, 2,000 crash points, 200 corruptions: ~1-3 min; < 100 MiB in --dir
  --soak      1,000 cycles, 50,000 crash points, 2,000 corruptions: ~1 h or more; < 200 MiB
  tiny        --cycles 2 --power-points 20 --corruptions 10: ~5 s; a few MiB
  Kill cycles write to --dir (default the OS temp dir) and delete it afterwards unless --keep;
  power loss and corruption run in memory and temporary directories.
`

export const crashCommand = delegateCommand('crash', 'crash/run', 'run the crash harness: kill cycles, power loss, corruption (see --help for the cost)', help)
