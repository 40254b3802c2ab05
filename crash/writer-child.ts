// The writer child of the kill cycles: opens the database with small sizes, runs the seeded
// workload from a given op id until it is killed, and reports on stdout, one line per event,
// each written before the next op starts (stdout to a pipe is synchronous on Linux):
//   o                 about to open         r        opened
//   b <id> <kind>     maintenance op begins a <id>   op <id> acknowledged
//   s <flushes> <compactions> <gc files>   background counters moved
//   e <message>       failed (the parent reports it; a healthy child never exits by itself)
// Usage: writer-child <dir> <seed> <first op id> <sync 1|0> [<encrypted 1|0>]

import { open } from '../engine/index.js'
import { crashOptions, execute, opAt } from './workload.js'

const [dir, seedText, firstText, syncText, encryptedText] = process.argv.slice(2)
const seed = Number(seedText)
const sync = syncText !== '0'
const say = (line: string) => process.stdout.write(`${line}\n`)

try {
  say('o')
  const db = await open(dir, crashOptions(sync, encryptedText === '1'))
  say('r')
  let counters = ''
  for (let id = Number(firstText); ; id++) {
    const op = opAt(seed, id)
    if (op.type === 'flush' || op.type === 'compact' || op.type === 'gc') say(`b ${id} ${op.type}`)
    await execute(db, op)
    say(`a ${id}`)
    const s = db.stats()
    const now = `${s.flushes} ${s.compactions} ${s.valueLogGC.filesCollected}`
    if (now !== counters) say(`s ${(counters = now)}`)
  }
} catch (err) {
  say(`e ${String((err as Error).stack ?? err).replace(/\n/g, ' | ')}`)
  process.exitCode = 2
}
