import { compressSync, uncompressSync } from 'lz4-napi'
import { ValueSource, writeKey } from './harness/keys.js'
const vs = new ValueSource(Number(process.argv[2] ?? 100), 0.5, 1)
const raw = Buffer.alloc(4096 + 200); let at = 0; let i = 0
while (at < 4096) { writeKey(raw.subarray(at), 0, 16, i++); at += 24; const v = vs.next(); raw.set(v.subarray(0, Math.min(v.length, raw.length - at)), at); at += v.length }
const src = raw.subarray(0, 4096)
const c = new Uint8Array(compressSync(src))
function dec(s: Uint8Array, from: number, end: number, out: Uint8Array, T: number): number {
  let p = from, o = 0
  for (;;) {
    const token = s[p++]
    let lit = token >>> 4
    if (lit === 15) { let b; do { b = s[p++]; lit += b } while (b === 255) }
    if (lit > T) { out.set(s.subarray(p, p + lit), o); o += lit; p += lit } else { const e = p + lit; while (p < e) out[o++] = s[p++] }
    if (p >= end) return o
    const off = s[p] | (s[p + 1] << 8); p += 2
    let ml = token & 15
    if (ml === 15) { let b; do { b = s[p++]; ml += b } while (b === 255) }
    ml += 4
    let m = o - off
    if (ml > T && off >= ml) { out.copyWithin(o, m, m + ml); o += ml } else { const e = o + ml; while (o < e) out[o++] = out[m++] }
  }
}
const out = new Uint8Array(8192)
for (const T of [1e9, 16, 64, 256]) { const n = dec(c, 4, c.length, out, T); if (n !== 4096 || Buffer.compare(Buffer.from(out.subarray(0, n)), src) !== 0) throw new Error('bad') }
for (let r = 0; r < 3; r++) {
  const row: string[] = []
  let t = performance.now(); for (let k = 0; k < 200000; k++) uncompressSync(c); row.push(`napi ${((performance.now() - t) * 1000 / 200000).toFixed(2)}`)
  for (const T of [1e9, 16, 64, 256]) { t = performance.now(); for (let k = 0; k < 200000; k++) dec(c, 4, c.length, out, T); row.push(`js${T} ${((performance.now() - t) * 1000 / 200000).toFixed(2)}`) }
  console.log(row.join('  '))
}
