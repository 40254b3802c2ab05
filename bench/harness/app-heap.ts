// appHeap: the --app-heap option's live objects. A bench child that holds nothing but the harness
// and one engine has a JS heap of 5-9 MiB, and that is where V8's incremental-marking heuristics
// are at their most uneven: below 8 MiB of old generation it never starts incremental marking;
// just above, with the young generation grown to its 16 MiB, a mark-compact whose limit came out
// of the least growth step makes the next one start at once, and so on (bench/RESULTS.md, gc12).
// Which side of that line each engine's child lands on depends on how much code it loads, not on
// how it reads. An application's process holds objects of its own; this makes every engine's child
// hold the same amount before its engine is opened, so they are compared in a like process.
// Must never: depend on the engine, or be collected before the child exits (it is kept in a
// module-level array).

import { getHeapStatistics } from 'node:v8'

const held: unknown[] = []

/** Objects of this many per chunk: small records, as an application's state is made of. */
const CHUNK = 4096

/**
 * Allocates small live objects until the JS heap in use has grown by `mib` MiB (as
 * v8.getHeapStatistics() counts it, collections included), and keeps them for the process's
 * life. Returns the bytes it grew by. 0 does nothing.
 */
export function holdAppHeap(mib: number): number {
  if (mib <= 0) return 0
  const start = getHeapStatistics().used_heap_size
  const want = mib * 1024 * 1024
  let grown = 0
  let n = 0
  while (grown < want) {
    const chunk: Array<{ id: number; name: string; tags: number[] }> = []
    for (let i = 0; i < CHUNK; i++, n++) chunk.push({ id: n, name: `record-${n}`, tags: [n & 7, n & 15] })
    held.push(chunk)
    grown = getHeapStatistics().used_heap_size - start
  }
  return grown
}
