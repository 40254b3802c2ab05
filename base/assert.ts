// Internal invariant checks: bugs, not caller errors. On in tests (SETT_ASSERT=1), free otherwise.

export const assertionsEnabled = process.env.SETT_ASSERT === '1'

export class AssertionError extends Error {}

/** Throws when `cond` is false and assertions are enabled. Use for invariants, never for input. */
export function assert(cond: unknown, message: string): asserts cond {
  if (assertionsEnabled && !cond) throw new AssertionError(`assertion failed: ${message}`)
}
