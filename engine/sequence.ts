// Sequences (BadgerDB's Sequence): monotonically increasing integers handed out from leases.
// A lease reserves `bandwidth` numbers by writing the end of the range to the sequence's key with
// a synced write, and numbers are handed out only once that write is durable. After a crash the
// next lease starts at the stored end, so a number is never handed out twice; the unused rest of
// a lease is lost unless release() gives it back. The stored value is the next unleased number,
// 8 bytes big-endian.

import { CorruptionError, InvalidArgumentError } from '../base/errors.js'

/** What a sequence needs of the database; `exclusive` runs leases of one database one at a time. */
export interface SequenceHost {
  getSync(key: Uint8Array): Buffer | undefined
  put(key: Uint8Array, value: Uint8Array, options: { sync: boolean }): Promise<void>
  exclusive<T>(step: () => Promise<T>): Promise<T>
}

export function encodeSequenceValue(n: number): Uint8Array {
  const out = new Uint8Array(8)
  const view = new DataView(out.buffer)
  view.setUint32(0, Math.floor(n / 2 ** 32))
  view.setUint32(4, n >>> 0)
  return out
}

export function decodeSequenceValue(key: Uint8Array, v: Uint8Array | undefined): number {
  if (v === undefined) return 0
  if (v.length !== 8) throw new CorruptionError('sequence', 0, `key ${Buffer.from(key).toString('hex')} holds ${v.length} bytes, not a sequence`)
  const view = new DataView(v.buffer, v.byteOffset, 8)
  return view.getUint32(0) * 2 ** 32 + view.getUint32(4)
}

export class Sequence {
  private readonly host: SequenceHost
  private readonly key: Uint8Array
  private readonly bandwidth: number
  private nextNumber = 0
  private leasedEnd = 0
  private chain: Promise<unknown> = Promise.resolve()

  /** @internal use db.sequence() */
  constructor(host: SequenceHost, key: Uint8Array, bandwidth: number) {
    if (!Number.isInteger(bandwidth) || bandwidth < 1) throw new InvalidArgumentError('sequence bandwidth must be a positive integer')
    this.host = host
    this.key = key
    this.bandwidth = bandwidth
  }

  /** The next number; leases a new range first when this one is used up. */
  next(): Promise<number> {
    const step = this.chain.then(async () => {
      if (this.nextNumber >= this.leasedEnd) await this.lease()
      return this.nextNumber++
    })
    this.chain = step.catch(() => undefined)
    return step
  }

  /** Gives the unused rest of the lease back, if no other lease was taken since. */
  release(): Promise<void> {
    const step = this.chain.then(() =>
      this.host.exclusive(async () => {
        if (this.nextNumber >= this.leasedEnd) return
        if (decodeSequenceValue(this.key, this.host.getSync(this.key)) !== this.leasedEnd) return
        await this.host.put(this.key, encodeSequenceValue(this.nextNumber), { sync: true })
        this.leasedEnd = this.nextNumber
      }))
    this.chain = step.catch(() => undefined)
    return step
  }

  private lease(): Promise<void> {
    return this.host.exclusive(async () => {
      const start = decodeSequenceValue(this.key, this.host.getSync(this.key))
      const end = start + this.bandwidth
      if (end > Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError('sequence exhausted')
      await this.host.put(this.key, encodeSequenceValue(end), { sync: true })
      this.nextNumber = start
      this.leasedEnd = end
    })
  }
}
