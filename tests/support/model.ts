// The reference model for whole-engine tests: a plain Map of hex(key) → value, read in sorted order.
// Hex keeps bytewise order: each byte becomes two characters of a fixed-width, ordered alphabet.

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const unhex = (s: string): Buffer => Buffer.from(s, 'hex')

export class Model {
  readonly map: Map<string, Buffer>
  /** hex(key) → expiry time, for keys written with one. */
  readonly expiries: Map<string, number>

  constructor(map?: Map<string, Buffer>, expiries?: Map<string, number>) {
    this.map = new Map(map)
    this.expiries = new Map(expiries)
  }

  put(key: Uint8Array, value: Uint8Array, expiresAt = 0): void {
    this.map.set(hex(key), Buffer.from(value))
    if (expiresAt > 0) this.expiries.set(hex(key), expiresAt)
    else this.expiries.delete(hex(key))
  }

  del(key: Uint8Array): void {
    this.map.delete(hex(key))
    this.expiries.delete(hex(key))
  }

  /** Forgets every key that has expired at `now` (the engine's clock). */
  expire(now: number): void {
    for (const [k, at] of this.expiries) {
      if (at <= now) (this.map.delete(k), this.expiries.delete(k))
    }
  }

  /** Forgets every key starting with `prefix` (dropPrefix; the empty prefix is dropAll). */
  dropPrefix(prefix: Uint8Array): void {
    const p = hex(prefix)
    for (const k of [...this.map.keys()]) if (k.startsWith(p)) this.del(Buffer.from(k, 'hex'))
  }

  get(key: Uint8Array): Buffer | undefined {
    return this.map.get(hex(key))
  }

  clone(): Model {
    return new Model(this.map, this.expiries)
  }

  /** Sorted [key, value] pairs within the given bounds, as hex keys. */
  range(o: { gt?: Uint8Array; gte?: Uint8Array; lt?: Uint8Array; lte?: Uint8Array; prefix?: Uint8Array; reverse?: boolean; limit?: number }): [string, Buffer][] {
    const gt = o.gt && hex(o.gt)
    const gte = o.gte && hex(o.gte)
    const lt = o.lt && hex(o.lt)
    const lte = o.lte && hex(o.lte)
    const prefix = o.prefix && hex(o.prefix)
    let out = [...this.map.entries()]
      .filter(([k]) =>
        (gt === undefined || k > gt) && (gte === undefined || gt !== undefined || k >= gte) &&
        (lt === undefined || k < lt) && (lte === undefined || lt !== undefined || k <= lte) &&
        (prefix === undefined || k.startsWith(prefix)))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    if (o.reverse) out.reverse()
    if (o.limit !== undefined && o.limit >= 0) out = out.slice(0, o.limit)
    return out
  }

  /** A stable text form for comparing whole states. */
  dump(): string {
    return this.range({}).map(([k, v]) => `${k}=${v.toString('hex')}`).join('\n')
  }
}
