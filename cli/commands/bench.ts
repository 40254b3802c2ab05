// `sett bench`: the benchmark (bench/run), run with the remaining arguments; the help says what a run costs.

import { delegateCommand } from './delegate.js'

const help = `Usage: sett bench [workloads] [options]   (its own option list: sett bench -- --help)

Runs the benchmark: db_bench- and YCSB-style workloads against Sett and its peers (classic-level,
lmdb), each engine in a child process, and writes results.json, results.md, throughput.svg,
latency.svg and report.html to --out (default ./bench/out). Exit code 0, or 1 when a run failed.

What a run costs:
  default     10 workloads x 1,000,000 keys of 100 B, 3 engines: ~15-30 min; ~1-2 GiB in --db
  --quick     3 workloads, 100k x 100 B and 10k x 16 KiB: under 2 min; ~0.5 GiB
  --full      the RESULTS.md run, 100 B ... 64 KiB: ~30-60 min; up to ~3 GiB at once
  tiny        fillrandom,readrandom --num 2000 --engines sett --device-mib 0: seconds, ~1 MiB
  The device probe writes --device-mib MiB (default 256, 64 with --quick) once, then deletes it.
  Databases go to --db (default $TMPDIR/sett-bench) and are deleted after each run unless --keep.

Peers: the first run installs classic-level and lmdb with npm (~10-30 s, ~60 MiB) into
$SETT_PEERS_DIR, else $XDG_CACHE_HOME/sett/peers, else ~/.cache/sett/peers, and later runs
reuse them. A peer that cannot be installed is reported and left out; --engines sett needs none.
`

export const benchCommand = delegateCommand('bench', 'bench/run', 'run the benchmarks against classic-level and lmdb (see --help for the cost)', help)
