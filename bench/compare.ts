// `npm run bench:compare -- NOW.json BASELINE.json`: two results.json files of earlier runs held
// against each other, as `npm run bench -- … --baseline BASELINE.json` does at the end of a run
// (bench/harness/baseline.ts), without running anything. Prints the Markdown section; exits 1 when
// a figure of Sett's fell more than 5% below the baseline's, 2 on a bad argument.
//
// Must never: write a file.

import { baselineSection, compareWithBaseline, readBenchResults, runLabel } from './harness/baseline.js'
import type { BenchResults } from './harness/report.js'

function load(file: string): BenchResults {
  try {
    return readBenchResults(file)
  } catch (err) {
    console.error((err as Error).message)
    process.exit(2)
  }
}

const args = process.argv.slice(2)
if (args.length !== 2 || args.some((a) => a.startsWith('-'))) {
  console.error('usage: npm run bench:compare -- NOW.json BASELINE.json   (results.json files of two bench runs)')
  process.exit(2)
}
const now = load(args[0])
const then = load(args[1])
const rows = compareWithBaseline(now, then)
console.log(`${args[0]} (${runLabel(now)})\n`)
console.log(baselineSection(rows, now, then, args[1]))
if (rows.some((r) => r.below)) process.exitCode = 1
