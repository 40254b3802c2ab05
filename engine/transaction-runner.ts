// Runs db.transaction() and db.view(): the retry loop around a Transaction, and turning on the
// oracle's write tracking the first time a conflict-checked transaction starts. The transaction
// itself (buffering, reads at a snapshot, the commit) is engine/transaction.ts.
//
// Owns: nothing kept but the host object it builds once. Touches no EngineState: it reads and
// writes through the TransactionHost it is given.
// Must never: commit outside the write path's writeTracked (that is where conflicts are decided).

import { ConflictError, InvalidArgumentError } from '../base/errors.js'
import type { Oracle } from './oracle.js'
import { Transaction, type TransactionHost } from './transaction.js'

export class TransactionRunner {
  private readonly host: TransactionHost
  private readonly oracle: Oracle
  /** Resolves once every write queued so far has been committed. */
  private readonly writesIdle: () => Promise<void>

  constructor(host: TransactionHost, writesIdle: () => Promise<void>) {
    this.host = host
    this.oracle = host.oracle
    this.writesIdle = writesIdle
  }

  async transaction<T>(fn: (txn: Transaction) => T | Promise<T>, options: { retries?: number; sync?: boolean }): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('transaction needs a function')
    const retries = options.retries ?? 0
    if (!Number.isInteger(retries) || retries < 0) throw new InvalidArgumentError('options.retries must be an integer >= 0')
    const detectConflicts = this.host.detectConflicts
    if (detectConflicts && !this.oracle.tracking) {
      // From now on every write is registered; the ones queued before are let through first.
      this.oracle.tracking = true
      await this.writesIdle()
    }
    for (let attempt = 0; ; attempt++) {
      // Read after the commits already decided, so as not to conflict with them needlessly.
      if (detectConflicts) await this.oracle.settled()
      const txn = new Transaction(this.host)
      try {
        const result = await fn(txn)
        if (txn.isOpen) await txn.commit({ sync: options.sync })
        return result
      } catch (err) {
        txn.discard()
        if (err instanceof ConflictError && attempt < retries) continue
        throw err
      }
    }
  }

  async view<T>(fn: (txn: Transaction) => T | Promise<T>): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('view needs a function')
    const txn = new Transaction(this.host, { readOnly: true })
    try {
      return await fn(txn)
    } finally {
      txn.discard()
    }
  }
}
