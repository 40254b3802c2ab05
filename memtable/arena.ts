// Arena: one growable ArrayBuffer that holds every skiplist node, key and value of a memtable.
//
// Allocation bumps an offset; nothing is ever freed (the whole arena goes when the memtable does),
// so the garbage collector sees one object however many entries there are. Offsets are 32-bit byte
// offsets, 8-byte aligned; offset 0 is reserved so that 0 can mean "nil".
//
// Growth allocates a buffer twice as large and copies the used bytes; offsets stay valid. The views
// (u8, u32, f64) are replaced on growth, so holders must re-read them from the arena after any call
// that may allocate, never cache them across one. Views handed out earlier keep pointing into the
// old buffer, whose bytes never change after they are written, so they stay correct.
//
// A shared arena lives in a SharedArrayBuffer, so a frozen memtable can be handed to the flush
// worker without a copy (structuredClone of 64 MiB would itself hold the event loop for tens of
// ms). Sharing is safe because nothing writes to a frozen memtable's arena again.
//
// A large arena's bytes are pages V8 maps itself (base/mapped-buffer.ts), not malloc's, so that
// freeing one moves none of glibc's malloc thresholds. Small arenas (tests, tiny memtables) stay
// malloc's: a freed one moves the thresholds only to its own small size, and V8 counts them as
// external memory, which makes it collect dropped ones sooner.
//
// recycle() hands a flushed memtable's buffer to the next memtable, zeroed, instead of leaving it
// to the garbage collector: a buffer another thread has seen is freed only once both threads have
// collected it, and an idle worker may not for a long time, so each flushed memtable used to stay
// resident (its touched pages) long after its flush. requires: nothing reads the old arena again.

import { InvalidArgumentError } from '../base/errors.js'
import { MAPPED_PAGE, mappedBuffer } from '../base/mapped-buffer.js'

/** Offsets are uint32, so the arena cannot pass 4 GiB. */
export const MAX_ARENA_SIZE = 2 ** 32 - 8

/** A fresh arena's size when the caller gives none: small, since most memtables are tiny in tests. */
export const DEFAULT_ARENA_SIZE = 1 << 20

/** Arenas at least this large are pages of their own (see the top of this file). */
export const PAGE_MAPPED_MIN = 4 << 20

/** Alignment of every allocation: the largest view (Float64Array) needs 8. */
const ALIGN = 8

export class Arena {
  buf: ArrayBuffer | SharedArrayBuffer
  u8: Uint8Array
  u32: Uint32Array
  f64: Float64Array
  /** Bytes handed out so far, including the reserved nil slot. Always a multiple of ALIGN. */
  used: number
  /** The most bytes of this buffer ever handed out, by this arena or one it was recycled from: its resident pages. */
  touched: number

  /** A fresh arena; `shared` allocates SharedArrayBuffers (see the top of this file). */
  static create(initialSize: number = DEFAULT_ARENA_SIZE, shared = false): Arena {
    const size = Math.min(MAX_ARENA_SIZE, Math.max(64, alignUp(initialSize)))
    return new Arena(allocateBuffer(size, shared), ALIGN)
  }

  /**
   * An arena over existing bytes: a fresh buffer (used = ALIGN), or a frozen arena's buffer,
   * possibly from another thread, to read. requires: its first `used` bytes are arena data.
   */
  constructor(buf: ArrayBuffer | SharedArrayBuffer, used: number) {
    this.buf = buf
    this.u8 = new Uint8Array(buf)
    this.u32 = new Uint32Array(buf)
    this.f64 = new Float64Array(buf)
    this.used = used
    this.touched = used
  }

  /**
   * A fresh arena over this one's buffer, zeroed. requires: nothing reads this arena (or a
   * memtable over it) from now on.
   */
  recycle(): Arena {
    this.u8.fill(0, 0, this.used)
    const fresh = new Arena(this.buf, ALIGN)
    fresh.touched = Math.max(this.touched, this.used)
    this.used = 0
    return fresh
  }

  /** Whether the bytes live in a SharedArrayBuffer that another thread can read in place. */
  get isShared(): boolean {
    return this.buf instanceof SharedArrayBuffer
  }

  /** Current capacity in bytes (what the process holds, though untouched pages cost no RSS). */
  get capacity(): number {
    return this.buf.byteLength
  }

  /**
   * Returns the offset of `size` fresh zeroed bytes, 8-byte aligned. May grow the arena, which
   * replaces u8/u32/f64: re-read them after calling.
   */
  alloc(size: number): number {
    const n = alignUp(size)
    const offset = this.used
    const end = offset + n
    if (end > this.buf.byteLength) this.grow(end)
    this.used = end
    if (end > this.touched) this.touched = end
    return offset
  }

  private grow(needed: number): void {
    if (needed > MAX_ARENA_SIZE) {
      throw new InvalidArgumentError(`memtable arena cannot hold ${needed} bytes (limit ${MAX_ARENA_SIZE})`)
    }
    let size = this.buf.byteLength
    while (size < needed) size *= 2
    if (size > MAX_ARENA_SIZE) size = MAX_ARENA_SIZE
    const buf = allocateBuffer(size, this.isShared)
    const u8 = new Uint8Array(buf)
    // Only the used prefix carries data; the rest of a new ArrayBuffer is already zero.
    u8.set(this.u8.subarray(0, this.used))
    this.buf = buf
    this.touched = this.used
    this.u8 = u8
    this.u32 = new Uint32Array(buf)
    this.f64 = new Float64Array(buf)
  }
}

/** `size` zeroed bytes (or up to a MAPPED_PAGE more): mapped when large (see the top of this file). */
function allocateBuffer(size: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  const mapped = size >= PAGE_MAPPED_MIN && size + MAPPED_PAGE <= MAX_ARENA_SIZE ? mappedBuffer(size, shared) : undefined
  return mapped ?? (shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size))
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN
}
