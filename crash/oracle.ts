// The expected-state oracle: from the acknowledged ops it knows, for each key, the last
// acknowledged write; the ops in flight at the crash add the values each key may also hold. It
// classifies what a reopened database shows as ok, lost, phantom or a torn batch.

import type { DB } from '../engine/index.js'
import { KEY_SPACE, type Op, type Write, claimedOp, keyName, opAt, valueFor } from './workload.js'

export interface Verdict {
  /** Keys whose last acknowledged write was compared with the database. */
  checked: number
  /** An acknowledged write missing, or replaced by an older value (a deleted key come back included). */
  lost: number
  /** A key or value that no issued op ever wrote there. */
  phantom: number
  /** An in-flight batch seen in part. */
  tornBatches: number
  /** The iterator and point reads disagreed. */
  iteratorMismatches: number
  problems: string[]
}

export const emptyVerdict = (): Verdict => ({ checked: 0, lost: 0, phantom: 0, tornBatches: 0, iteratorMismatches: 0, problems: [] })

export function addVerdict(into: Verdict, v: Verdict): void {
  into.checked += v.checked
  into.lost += v.lost
  into.phantom += v.phantom
  into.tornBatches += v.tornBatches
  into.iteratorMismatches += v.iteratorMismatches
  // Enough examples to debug from; the counts carry the rest.
  for (const p of v.problems) if (into.problems.length < 20) into.problems.push(p)
}

export const verdictFailed = (v: Verdict): boolean => v.lost + v.phantom + v.tornBatches + v.iteratorMismatches > 0

/** What a database shows: a full scan, cross-checked key by key against point reads. */
export interface Observation {
  state: Map<string, Buffer>
  mismatches: string[]
}

export function observe(db: DB): Observation {
  const state = new Map<string, Buffer>()
  for (const [k, v] of db.iterator()) state.set(Buffer.from(k).toString('latin1'), Buffer.from(v))
  const mismatches: string[] = []
  const keys = new Set(state.keys())
  for (let i = 0; i < KEY_SPACE; i++) keys.add(keyName(i))
  for (const key of keys) {
    const point = db.getSync(Buffer.from(key, 'latin1'))
    const scanned = state.get(key)
    const same = point === undefined ? scanned === undefined : scanned !== undefined && point.equals(scanned)
    if (!same) mismatches.push(`${key}: iterator ${scanned === undefined ? 'missing' : 'has a value'}, get ${point === undefined ? 'missing' : 'has a value'}${point && scanned ? ' (they differ)' : ''}`)
  }
  return { state, mismatches }
}

const same = (w: Write, got: Buffer | undefined): boolean => (w.value === null ? got === undefined : got !== undefined && w.value.equals(got))

export class Oracle {
  /** key → last acknowledged write: its op id, and whether it was a put. */
  private readonly last = new Map<string, { id: number; put: boolean }>()
  ackedOps = 0
  ackedWrites = 0

  constructor(readonly seed: number) {}

  /** Records an acknowledged op. */
  apply(op: Op): void {
    this.ackedOps++
    if (!('writes' in op)) return
    for (const w of op.writes) {
      this.ackedWrites++
      this.last.set(w.key, { id: op.id, put: w.value !== null })
    }
  }

  private acked(key: string): Write | undefined {
    const l = this.last.get(key)
    if (l === undefined) return undefined
    return { key, value: l.put ? valueFor(this.seed, key, l.id) : null }
  }

  /**
   * Compares a reopened database with the acknowledged writes. `inflight`: the ops issued but not
   * acknowledged (each may be there whole or not at all); `issued`: ops with ids below it were
   * issued, so only they can have written anything.
   */
  check(obs: Observation, inflight: Op[], issued: number): Verdict {
    const v = emptyVerdict()
    for (const m of obs.mismatches) {
      v.iteratorMismatches++
      if (v.problems.length < 20) v.problems.push(`iterator/get disagree: ${m}`)
    }
    const inflightWrites = new Map<string, { id: number; w: Write }[]>()
    for (const op of inflight) {
      if (!('writes' in op)) continue
      for (const w of op.writes) {
        let list = inflightWrites.get(w.key)
        if (list === undefined) inflightWrites.set(w.key, (list = []))
        list.push({ id: op.id, w })
      }
    }
    const keys = new Set([...this.last.keys(), ...obs.state.keys()])
    for (const key of keys) {
      const want = this.acked(key)
      const got = obs.state.get(key)
      const alternatives = inflightWrites.get(key) ?? []
      if (want !== undefined) v.checked++
      if (got === undefined) {
        if (want === undefined || want.value === null || alternatives.some((a) => a.w.value === null)) continue
        v.lost++
        if (v.problems.length < 20) v.problems.push(`lost: ${key} should hold op ${this.last.get(key)!.id}'s value, is missing`)
        continue
      }
      const claimed = claimedOp(key, got)
      const traced = claimed !== undefined && claimed < issued && opWrites(this.seed, claimed, key) && valueFor(this.seed, key, claimed).equals(got)
      if (!traced) {
        v.phantom++
        if (v.problems.length < 20) v.problems.push(`phantom: ${key} holds ${got.length} bytes no op wrote (${JSON.stringify(got.subarray(0, 24).toString('latin1'))})`)
        continue
      }
      if (want !== undefined && same(want, got)) continue
      if (alternatives.some((a) => same(a.w, got))) continue
      const wantId = this.last.get(key)?.id
      if (wantId !== undefined && claimed! < wantId) {
        v.lost++
        if (v.problems.length < 20) v.problems.push(`lost: ${key} holds op ${claimed}'s value, superseded by acknowledged op ${wantId} (${want!.value === null ? 'a delete' : 'a put'})`)
      } else {
        v.phantom++
        if (v.problems.length < 20) v.problems.push(`phantom: ${key} holds op ${claimed}'s value, which was never acknowledged nor in flight`)
      }
    }
    for (const op of inflight) {
      if (!('writes' in op) || op.writes.length < 2) continue
      let applied = 0
      let absent = 0
      for (const w of op.writes) {
        const want = this.acked(w.key)
        const got = obs.state.get(w.key)
        const asBefore = want === undefined ? got === undefined : same(want, got)
        if (same(w, got) && !asBefore) applied++
        else if (asBefore && !same(w, got)) absent++
      }
      if (applied > 0 && absent > 0) {
        v.tornBatches++
        if (v.problems.length < 20) v.problems.push(`torn batch: op ${op.id} is visible for ${applied} of its keys and absent for ${absent}`)
      }
    }
    return v
  }

  /** After a passing check: in-flight ops the database shows become acknowledged, the rest never happened. */
  settle(obs: Observation, inflight: Op[]): void {
    for (const op of inflight) {
      if (!('writes' in op)) continue
      const visible = op.writes.some((w) => {
        const want = this.acked(w.key)
        const got = obs.state.get(w.key)
        return same(w, got) && !(want === undefined ? got === undefined : same(want, got))
      })
      if (visible) this.apply(op)
    }
  }
}

function opWrites(seed: number, id: number, key: string): boolean {
  const op = opAt(seed, id)
  return 'writes' in op && op.writes.some((w) => w.key === key && w.value !== null)
}

/**
 * True when the observed state equals the state after some prefix of `ops` (applied in order)
 * of at least `atLeast` ops: those before a completed flush are durable whatever `sync` was.
 */
export function isPrefixState(seed: number, obs: Observation, ops: Op[], atLeast = 0): boolean {
  const model = new Map<string, Buffer>()
  const differs = (key: string) => {
    const a = model.get(key)
    const b = obs.state.get(key)
    return a === undefined ? b !== undefined : b === undefined || !a.equals(b)
  }
  // Count differing keys and update the count op by op: linear in the ops, not quadratic.
  let diff = obs.state.size
  if (diff === 0 && atLeast === 0) return true
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]
    if ('writes' in op) {
      for (const w of op.writes) {
        const before = differs(w.key)
        if (w.value === null) model.delete(w.key)
        else model.set(w.key, valueFor(seed, w.key, op.id))
        diff += Number(differs(w.key)) - Number(before)
      }
    }
    if (diff === 0 && i + 1 >= atLeast) return true
  }
  return false
}
