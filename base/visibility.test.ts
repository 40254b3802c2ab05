import { expect, it } from 'vitest'
import { encodeHeaderedValue } from './entry-value.js'
import { Kind } from './internal-key.js'
import { absence, isAbsent } from './visibility.js'

const key = new TextEncoder().encode('user/1')
const plain = new Uint8Array([1, 2, 3])

it('a plain value is present; a deletion is absent', () => {
  expect(absence(1000, [], key, 5, Kind.Value, plain)).toBeUndefined()
  expect(absence(1000, [], key, 5, Kind.Delete, new Uint8Array(0))).toBe('deleted')
})

it('an entry with an expiry is absent from its expiry time on, by the clock reading given', () => {
  const v = encodeHeaderedValue(1000, 0, plain)
  expect(isAbsent(999, [], key, 5, Kind.ValueWithHeader, v)).toBe(false)
  expect(absence(1000, [], key, 5, Kind.ValueWithHeader, v)).toBe('expired')
  // expiresAt 0 means never.
  expect(isAbsent(Number.MAX_SAFE_INTEGER, [], key, 5, Kind.ValueWithHeader, encodeHeaderedValue(0, 7, plain))).toBe(false)
})

it('a drop covers its prefix up to its seq, and is reported before a deletion', () => {
  const drops = [{ prefix: new TextEncoder().encode('user/'), seq: 5 }]
  expect(absence(0, drops, key, 5, Kind.Value, plain)).toBe('dropped')
  expect(absence(0, drops, key, 5, Kind.Delete, new Uint8Array(0))).toBe('dropped')
  expect(absence(0, drops, key, 6, Kind.Value, plain)).toBeUndefined()
  expect(absence(0, drops, new TextEncoder().encode('other'), 1, Kind.Value, plain)).toBeUndefined()
  expect(absence(0, [{ prefix: new Uint8Array(0), seq: 9 }], key, 9, Kind.Value, plain)).toBe('dropped')
})
