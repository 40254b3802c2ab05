// The reference model for whole-engine tests: a plain Map of hex(key) → value, read in sorted order.
// Hex keeps bytewise order: each byte becomes two characters of a fixed-width, ordered alphabet.

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
export const unhex = (s: string): Buffer => Buffer.from(s, 'hex')

export class Model {
  readonly map: Map<string, Buffer>

  constructor(map?: Map<string, Buffer>) {
    this.map = new Map(map)
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.map.set(hex(key), Buffer.from(value))
  }

  del(key: Uint8Array): void {
    this.map.delete(hex(key))
  }

  get(key: Uint8Array): Buffer | undefined {
    return this.map.get(hex(key))
  }

  clone(): Model {
    return new Model(this.map)
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
