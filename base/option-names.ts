// Rejects option names a function does not know, naming the closest one it does ("did you mean
// memtableSize?"): JavaScript callers have no compiler to catch `memTableSize` or `ttl_ms`, and an
// ignored option loses them a day. Knows nothing of what the options mean.

import { InvalidArgumentError } from './errors.js'

/** Edit distance with case folded, so `memTableSize` is one step from nothing at all. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase().replace(/[_-]/g, '')
  const y = b.toLowerCase().replace(/[_-]/g, '')
  let prev = Array.from({ length: y.length + 1 }, (_, i) => i)
  for (let i = 1; i <= x.length; i++) {
    const row = [i]
    for (let j = 1; j <= y.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1))
    prev = row
  }
  return prev[y.length]
}

/** The known name nearest to `name`, when it is near enough to be a typo of it. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const k of known) {
    const d = distance(name, k)
    if (d < bestDistance) (best = k), (bestDistance = d)
  }
  const stripped = name.toLowerCase().replace(/[_-]/g, '')
  if (best !== undefined && stripped.startsWith(best.toLowerCase())) return best
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined
}

/** Throws InvalidArgumentError for the first own key of `given` (with a defined value) not in `known`. */
export function checkOptionNames(what: string, given: object, known: ReadonlySet<string>): void {
  for (const [name, value] of Object.entries(given)) {
    if (known.has(name) || value === undefined) continue
    const near = closestName(name, [...known])
    throw new InvalidArgumentError(`unknown option ${what}.${name}${near === undefined ? '' : ` (did you mean ${near}?)`}`)
  }
}
