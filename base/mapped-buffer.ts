// Mapped buffers: zeroed bytes whose pages V8 maps and unmaps itself (a WebAssembly.Memory's
// buffer), for large buffers that live and die often, so that freeing one moves none of glibc's
// malloc thresholds; and a small pool of them per thread (takeBytes/giveBytes) for the large
// working buffers of table writes and compaction reads. Must never be used for a buffer that must
// be transferred or detached (a memory's buffer cannot be), and a buffer given back to the pool
// must never be touched again by the code that gave it.
//
// Why: ArrayBuffers and SharedArrayBuffers come from malloc, which serves a request of 128 KiB or
// more with a mapping of its own, and when such a chunk (up to 32 MiB) is freed, glibc raises its
// mmap threshold to the chunk's size and its trim threshold to twice that, for the rest of the
// process. One 17 MiB memtable arena freed, and every later malloc under 17 MiB came from heaps
// trimmed only once 34 MiB at their top were free: ~40 MiB more RSS in every read and YCSB
// workload of a 1M × 100 B bench (engine/memory-budget.ts, GLIBC_THRESHOLDS). A memory's pages
// never pass through malloc: V8 reserves address space for it (with guard regions: no RSS) and
// unmaps it when the buffer is collected.

/** A WebAssembly page: a mapped buffer's size is a multiple of it. */
export const MAPPED_PAGE = 64 * 1024

/** glibc's default mmap threshold: malloc maps a buffer this large on its own (and a free moves the threshold). */
export const MALLOC_MMAP_THRESHOLD = 128 * 1024

/**
 * At least `size` zeroed bytes (rounded up to a whole MAPPED_PAGE), mapped by V8, or undefined
 * when V8 will not map them (more than 4 GiB, address space for guard regions used up, a limit
 * such as ulimit -v): the caller then takes malloc's.
 */
export function mappedBuffer(size: number, shared: boolean): ArrayBuffer | SharedArrayBuffer | undefined {
  const pages = Math.max(1, Math.ceil(size / MAPPED_PAGE))
  if (pages > 65536) return undefined
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared }).buffer
  } catch {
    return undefined
  }
}

// BYTE_POOL. glibc raises its mmap threshold to the size of any mmapped chunk freed, and V8's own
// platform threads free chunks of 0.3-1.4 MiB in the first seconds of any busy process (traced
// with an LD_PRELOAD malloc shim, 1M x 100 B bench): from then on every buffer under ~1.4 MiB comes
// from a malloc heap, whatever Sett does. The compaction worker's buffers of 128 KiB to 1 MiB
// (a table builder's key hashes, output and index buffers and bloom bits; the inputs' read-ahead
// windows), allocated and dropped a few hundred times a run, left its glibc arena holding 15-23
// MiB, 14-17 MiB of it free chunks (malloc_info at ycsb-a's peak) that glibc never returns and
// that stayed resident after the worker exited (the next worker takes over the same arena).
// takeBytes gives such buffers mapped pages instead, and giveBytes keeps up to BYTE_POOL_BYTES of
// them for the next take, so a worker reuses a handful rather than mapping hundreds: every
// memory reserves 10 GiB of address space for its guard regions and V8 allows ~1 TiB of those
// per process. What the pool holds dies with its thread (a worker's isolate unmaps its memories).

/** takeBytes maps a buffer of this size or more; smaller ones are malloc's (its small bins reuse them well). */
export const POOLED_MIN = MALLOC_MMAP_THRESHOLD

/** The most bytes of given-back buffers one thread keeps for reuse; the rest are left to the collector. */
export const BYTE_POOL_BYTES = 4 * 1024 * 1024

/** Buffers takeBytes mapped on this thread: only these may enter the pool. */
const mine = new WeakSet<ArrayBufferLike>()
/** Free buffers by byteLength (a power-of-two number of MAPPED_PAGEs). */
const free = new Map<number, ArrayBuffer[]>()
/** The same buffers as `free`, to refuse one given back twice (two owners of one buffer). */
const freeSet = new Set<ArrayBufferLike>()
let freeBytes = 0

/** The byteLength takeBytes gives a buffer for `size` bytes: a power-of-two count of MAPPED_PAGEs. */
export function pooledSize(size: number): number {
  let pages = 1
  while (pages * MAPPED_PAGE < size) pages *= 2
  return pages * MAPPED_PAGE
}

/**
 * `size` zeroed bytes, as new Uint8Array(size) would give them: under POOLED_MIN from malloc; at
 * or above it a view at offset 0 of a mapped buffer of pooledSize(size) bytes, from this thread's
 * pool when it holds one of that size (zeroed again here), else newly mapped (malloc's when V8
 * maps no more). The caller may give the buffer back (giveBytes) once nothing reads it any more.
 * `zeroed: false`: a reused buffer keeps what its last owner wrote, for a caller that reads only
 * what it writes first (a read-ahead window): zeroing 128-256 KiB for every scan's window cost
 * ycsb-e ~20% (12.8k, 12.9k against 15.7k, 16.2k ops/s, 1M x 100 B, quiet machine).
 */
export function takeBytes(size: number, zeroed = true): Uint8Array<ArrayBuffer> {
  if (size < POOLED_MIN) return new Uint8Array(size)
  const length = pooledSize(size)
  const list = free.get(length)
  const reused = list?.pop()
  if (reused !== undefined) {
    freeSet.delete(reused)
    freeBytes -= length
    const bytes = new Uint8Array(reused, 0, size)
    if (zeroed) bytes.fill(0)
    return bytes
  }
  const mapped = mappedBuffer(length, false) as ArrayBuffer | undefined
  if (mapped === undefined) return new Uint8Array(size)
  mine.add(mapped)
  return new Uint8Array(mapped, 0, size)
}

/**
 * Hands back the buffer under `bytes` (any view of it) for a later takeBytes on this thread. A
 * buffer takeBytes did not map (malloc's, another thread's) is left alone, as is one the pool has
 * no room for. requires: nothing reads or writes that buffer after this call, through any view.
 * Throws on a buffer the pool holds already (given back twice: two owners would then write the
 * same bytes).
 */
export function giveBytes(bytes: ArrayBufferView): void {
  const buffer = bytes.buffer
  if (!mine.has(buffer)) return
  if (freeSet.has(buffer)) throw new Error('giveBytes: buffer given back twice')
  const length = buffer.byteLength
  if (freeBytes + length > BYTE_POOL_BYTES) return
  let list = free.get(length)
  if (list === undefined) free.set(length, (list = []))
  list.push(buffer as ArrayBuffer)
  freeSet.add(buffer)
  freeBytes += length
}

/** Bytes this thread's pool holds for reuse (for tests and stats). */
export function pooledFreeBytes(): number {
  return freeBytes
}
