// The offline-sync example (examples/offline-sync/) at a small size: a device process killed
// with SIGKILL at random and a link cut at random must still leave the receiver equal to the
// device, key for key.

import { expect, it } from 'vitest'
import { runOfflineSync } from '../../examples/offline-sync/run.js'

it('offline sync: after power cuts and link drops the receiver equals the device', async () => {
  const r = await runOfflineSync({ writes: 400, seed: 7 })
  console.log(`offline sync: ${r.keys} keys, ${r.kills} power cuts, ${r.linkDrops} link drops, ${r.chunks} chunks, ${r.seconds.toFixed(1)} s`)
  expect(r.mismatches).toEqual([])
  expect(r.equal).toBe(true)
  expect(r.keys).toBeGreaterThan(0)
  expect(r.chunks).toBeGreaterThan(0)
}, 60_000)
