// A least-recently-used cache of decoded blocks, bounded by bytes and shared by every open
// table. Keyed by (table id, block number); a table's id is its file number, never reused, so an
// entry can never name another table's block. Each table's blocks sit in an array indexed by
// block number (TableSlots), which its reader holds: a lookup is an array read, not two Map
// lookups, and a cached block is its own LRU node (Block.prev/next), with no object of the
// cache's per block.
//
// Eviction only drops the cache's reference: a Block handed out earlier (and any value view into
// it) stays readable for as long as someone holds it, so nothing is pinned or reference-counted.
// Not shared across worker threads (each thread has its own cache).
//
// Admission: tables offer() the blocks they read. While the cache has room every block is kept;
// once keeping one means evicting another, only one offer in ADMIT_EVERY is taken. When reads
// spread over more blocks than fit (random gets on a database larger than the cache), the hit
// rate depends on how much the cache holds, not on which blocks: taking every block only churned
// it, each miss allocating a block that lived just long enough to be promoted out of V8's young
// generation and then died (GC work) plus an eviction. A block read again and again is still
// taken within a few reads, and a one-pass scan no longer flushes the cache.

import { InvalidArgumentError } from '../base/errors.js'
import { Block } from './block-iter.js'

/**
 * One table's cached blocks by block number: what TableReader holds to look its blocks up
 * without a Map. Registered in the cache under the table id until dropTable(id).
 */
export class TableSlots {
  readonly blocks: Array<Block | undefined>
  /** Whether the cache's table map holds these slots (false after dropTable, until the next set). */
  registered = true
  constructor(readonly tableId: number, count: number) {
    this.blocks = new Array<Block | undefined>(count).fill(undefined)
  }
}

/**
 * When the cache is full, one offered block in this many is kept. Random gets over a database 4x
 * the cache: 1 → 8 gave ~1.3x the gets per CPU-second; 16 and 32 a little more, but a block that
 * turns hot would wait longer to be kept.
 */
export const ADMIT_EVERY = 8

/**
 * takeBlock rounds sizes up to a multiple of this many bytes, so that blocks of slightly
 * different sizes share buffers: 1/16 of the size's power of two, at least 64. A fixed 512 left a
 * 1 KiB block (~1.1 KiB decoded) in a 1.5 KiB buffer, charged whole: a third of the cache held
 * nothing.
 */
function roundingFor(size: number): number {
  return size < 1024 ? 64 : 2 ** Math.floor(Math.log2(size)) / 16
}

export class BlockCache {
  private readonly tables = new Map<number, TableSlots>()
  // Most recently used at head, eviction from tail.
  private head: Block | null = null
  private tail: Block | null = null
  private bytes = 0
  private blocks = 0
  /** Offers turned away since the last one taken while full. */
  private declined = 0
  /**
   * Blocks let go that nobody can still read (see takeBlock), by the byteLength of their buffer:
   * kept while they and the blocks held fit in the capacity together (spareBytes + bytes <=
   * capacityBytes), so the cache never holds more memory than its capacity, and a table dropped
   * after a compaction leaves its blocks to the blocks read next instead of to a full collection
   * (16 spares at most, as before, left most of a dropped table's blocks to it).
   */
  private readonly spares = new Map<number, Block[]>()
  private spareBytes = 0
  /** Lookups that found their block. */
  hits = 0
  /** Lookups that did not. */
  misses = 0

  /** `capacityBytes` may be 0: nothing is kept and every read goes to the file. */
  constructor(public capacityBytes: number) {
    if (!(Number.isFinite(capacityBytes) && capacityBytes >= 0)) {
      throw new InvalidArgumentError(`block cache capacity must be a number >= 0, got ${capacityBytes}`)
    }
  }

  /**
   * A new capacity (the engine's memory budget moves it as memtables and pinned index and filter
   * blocks grow); blocks past it are evicted, least recently used first.
   */
  setCapacity(bytes: number): void {
    if (!(Number.isFinite(bytes) && bytes >= 0)) throw new InvalidArgumentError(`block cache capacity must be a number >= 0, got ${bytes}`)
    this.capacityBytes = bytes
    while (this.bytes > bytes && this.tail !== null) this.remove(this.tail)
    this.trimSpares()
  }

  /** Bytes of block data held now (always <= capacityBytes). */
  get size(): number {
    return this.bytes
  }

  /** Bytes of spare buffers kept for the next blocks (size + spareSize <= capacityBytes). */
  get spareSize(): number {
    return this.spareBytes
  }

  /** Blocks held now. */
  get count(): number {
    return this.blocks
  }

  /**
   * The slots of table `tableId`, with room for block numbers below `count`: the same object for
   * every reader of that table in this thread, until dropTable(tableId).
   */
  slots(tableId: number, count = 0): TableSlots {
    let t = this.tables.get(tableId)
    if (t === undefined) {
      t = new TableSlots(tableId, count)
      this.tables.set(tableId, t)
    }
    while (t.blocks.length < count) t.blocks.push(undefined)
    return t
  }

  get(tableId: number, key: number): Block | undefined {
    const t = this.tables.get(tableId)
    if (t === undefined) {
      this.misses++
      return undefined
    }
    return this.lookup(t, key)
  }

  /** get() through the table's slots (TableReader's path: no Map lookup). */
  lookup(slots: TableSlots, key: number): Block | undefined {
    const block = slots.blocks[key]
    if (block === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    if (block !== this.head) {
      this.unlink(block)
      this.pushHead(block)
    }
    return block
  }

  /**
   * A block just read from its table: kept as set() would keep it while there is room, and
   * otherwise only once in ADMIT_EVERY offers (see the top of this file).
   */
  offer(tableId: number, key: number, block: Block): void {
    if (this.admits(block.charge)) this.set(tableId, key, block)
  }

  /** offer() through the table's slots. */
  offerTo(slots: TableSlots, key: number, block: Block): void {
    if (this.admits(block.charge)) this.put(slots, key, block)
  }

  /**
   * Whether offer() would keep a block of `charge` bytes now (counting the offer, as offer()
   * does): a reader that knows a block's size before decoding it decodes a block that will not be
   * kept into a transient buffer instead of an array of its own (TableReader.get). Follow a true
   * with set().
   */
  admits(charge: number): boolean {
    if (this.bytes + charge > this.capacityBytes) {
      if (++this.declined < ADMIT_EVERY) return false
      this.declined = 0
    }
    return true
  }

  /** Adds (or replaces) a block; one larger than the whole capacity is not kept. */
  set(tableId: number, key: number, block: Block): void {
    this.put(this.slots(tableId), key, block)
  }

  /** set() through the table's slots. */
  put(slots: TableSlots, key: number, block: Block): void {
    const charge = block.charge
    const blocks = slots.blocks
    const old = blocks[key]
    if (old !== undefined) this.remove(old)
    // A block is in the cache once at most (the same object set again moves).
    if (block.owner != null) this.remove(block)
    if (charge > this.capacityBytes) return
    while (this.bytes + charge > this.capacityBytes && this.tail !== null) this.remove(this.tail)
    // A reader may outlive dropTable (an iterator on an old version): its slots come back.
    if (!slots.registered) {
      const current = this.tables.get(slots.tableId)
      if (current !== undefined && current !== slots) return
      slots.registered = true
      this.tables.set(slots.tableId, slots)
    }
    while (blocks.length <= key) blocks.push(undefined)
    blocks[key] = block
    block.owner = slots
    block.key = key
    this.pushHead(block)
    this.bytes += charge
    this.blocks++
    this.trimSpares()
  }

  /**
   * A block of Block.owning with room for `size` bytes, for a block about to be set(): one this
   * cache let go, when one fits, or a new one over a buffer rounded up (roundingFor). The caller
   * writes the block's bytes at the start of its `data` and checks them with Block.reload. Only
   * blocks that never escaped (Block.escaped: read only by point lookups, which copy what they
   * return before the next block is read, and by iterators that pin it while they are on it:
   * Block.pins) are handed out again, a pinned one once its last iterator moves on; a block
   * evicted from the cache otherwise stays garbage until V8 collects it, which for a block in the
   * old generation is at the next full collection: random reads over more data than fits used to
   * leave ~50 MiB of evicted blocks in the malloc heap that way, and a new block object and view
   * per admission grew V8's heaps by ~40 MiB (block-iter.ts, Block). `evict`: first evict what
   * set() would evict for it, so that an evicted block can be the one handed out.
   */
  takeBlock(size: number, evict = false): Block {
    const rounding = roundingFor(size)
    const rounded = Math.ceil(size / rounding) * rounding
    if (evict && rounded <= this.capacityBytes) {
      while (this.bytes + rounded > this.capacityBytes && this.tail !== null) this.remove(this.tail)
    }
    // A spare of the rounded size, or one rounding larger (less than 2 roundings to spare).
    for (let length = rounded; length <= rounded + rounding; length += rounding) {
      const b = this.spares.get(length)?.pop()
      if (b !== undefined) {
        b.spare = false
        this.spareBytes -= length
        return b
      }
    }
    return Block.owning(new ArrayBuffer(rounded))
  }

  /** Drops every block of a table (call when its file is deleted). */
  dropTable(tableId: number): void {
    const t = this.tables.get(tableId)
    if (t === undefined) return
    const blocks = t.blocks
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i]
      if (block === undefined) continue
      this.forget(block)
      if (block.pins === 0) this.recycle(block)
    }
    t.registered = false
    this.tables.delete(tableId)
  }

  clear(): void {
    while (this.tail !== null) this.forget(this.tail)
    for (const list of this.spares.values()) for (const b of list) b.spare = false
    this.spares.clear()
    this.spareBytes = 0
    for (const t of this.tables.values()) t.registered = false
    this.tables.clear()
  }

  private remove(block: Block): void {
    this.forget(block)
    // A pinned block's buffer is kept for released() (its iterators still read it).
    if (block.pins === 0) this.recycle(block)
  }

  /**
   * The last iterator pinned on `block` (Block.pins) has moved off it: if the cache let the
   * block go meanwhile, its buffer goes to the spares now, as remove() would have put it there.
   */
  released(block: Block): void {
    if (block.pins === 0 && block.owner === null) this.recycle(block)
  }

  private recycle(block: Block): void {
    if (block.escaped !== false) return
    const data = block.data
    // Only a block over a whole buffer of its own (takeBlock's, of a rounded size) is handed out again, and only once.
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength || data.byteLength !== block.bufferBytes ||
      data.buffer instanceof SharedArrayBuffer) return
    const length = data.byteLength
    if (length % roundingFor(length) !== 0 || block.spare) return
    if (this.bytes + this.spareBytes + length > this.capacityBytes) return
    let list = this.spares.get(length)
    if (list === undefined) this.spares.set(length, (list = []))
    list.push(block)
    block.spare = true
    this.spareBytes += length
  }

  /** Lets spares go until they and the blocks fit in the capacity. */
  private trimSpares(): void {
    if (this.bytes + this.spareBytes <= this.capacityBytes) return
    for (const [length, list] of this.spares) {
      while (list.length > 0 && this.bytes + this.spareBytes > this.capacityBytes) {
        list.pop()!.spare = false
        this.spareBytes -= length
      }
      if (list.length === 0) this.spares.delete(length)
      if (this.bytes + this.spareBytes <= this.capacityBytes) return
    }
  }

  /** Takes the block out of the LRU list and its slots, without recycling its buffer. */
  private forget(block: Block): void {
    this.unlink(block)
    block.owner!.blocks[block.key] = undefined
    block.owner = null
    this.bytes -= block.charge
    this.blocks--
  }

  private unlink(block: Block): void {
    if (block.prev !== null) block.prev.next = block.next
    else this.head = block.next
    if (block.next !== null) block.next.prev = block.prev
    else this.tail = block.prev
    block.prev = block.next = null
  }

  private pushHead(block: Block): void {
    block.next = this.head
    block.prev = null
    if (this.head !== null) this.head.prev = block
    this.head = block
    if (this.tail === null) this.tail = block
  }
}
