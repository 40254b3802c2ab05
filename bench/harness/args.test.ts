// The command line: presets, per-value-size lists, and refusals with a reason.

import { describe, expect, it } from 'vitest'
import { ArgsError, type BenchConfig, FULL, parseBenchArgs } from './args.js'

function parse(...argv: string[]): BenchConfig {
  const c = parseBenchArgs(argv)
  if (c === 'help') throw new Error('help')
  return c
}

describe('parseBenchArgs', () => {
  it('--quick runs fillrandom, readrandom and readseq at 100 B × 100k and 16 KiB × 10k', () => {
    const c = parse('--quick')
    expect(c.workloads).toEqual(['fillrandom', 'readrandom', 'readseq'])
    expect(c.valueSizes).toEqual([100, 16384])
    expect(c.nums).toEqual([100_000, 10_000])
    expect(c.ops).toEqual(c.nums)
    expect(c.engines).toEqual(['sett', 'classic-level', 'lmdb'])
  })

  it('--baseline names the results.json to compare with; none by default', () => {
    expect(parse('--full', '--baseline', 'bench/results/results.json').baseline).toBe('bench/results/results.json')
    expect(parse('--quick').baseline).toBeUndefined()
  })

  it('--full is the RESULTS.md run and options still override it', () => {
    const c = parse('--full', '--engines', 'sett,lmdb', '--duration', '20')
    expect(c.valueSizes).toEqual(FULL.valueSizes)
    expect(c.nums).toEqual(FULL.nums)
    expect(c.engines).toEqual(['sett', 'lmdb'])
    expect(c.durationS).toBe(20)
    expect(parse('--full').durationS).toBe(10)
  })

  it('takes workloads comma- or space-separated, and lists per value size', () => {
    const c = parse('fillseq,readrandom', 'ycsb-a', '--value-size', '100,4096', '--num', '1_000_000,100000', '--ops', '5000')
    expect(c.workloads).toEqual(['fillseq', 'readrandom', 'ycsb-a'])
    expect(c.nums).toEqual([1_000_000, 100_000])
    expect(c.ops).toEqual([5000, 5000])
    expect(parse('--value-size', '100,1024').nums).toEqual([1_000_000, 1_000_000])
  })

  it('passes the db_bench options through', () => {
    const c = parse('--key-size', '20', '--batch', '1', '--sync', '--compression-ratio', '0.25', '--threshold', '1024', '--seed', '9', '--db', '/mnt/x')
    expect(c).toMatchObject({ keySize: 20, batch: 1, sync: true, compressionRatio: 0.25, threshold: 1024, seed: 9, db: '/mnt/x' })
    expect(parse().threshold).toBeUndefined()
    expect(parse().durationS).toBe(Infinity)
    expect(parse().afterCompact).toBe(false)
    expect(parse('--after-compact').afterCompact).toBe(true)
  })

  it.each([
    [['nosuchload'], /unknown workload "nosuchload"/],
    [['--engines', 'rocksdb'], /unknown engine "rocksdb"/],
    [['--value-size', '100,200,300', '--num', '1,2'], /one per value size/],
    [['--num', '0'], /--num must be an integer >= 1/],
    [['--compression-ratio', '2'], /compression-ratio/],
    [['--key-size', '4', '--num', '10000'], /cannot hold/],
    [['--quick', '--full'], /pick one/],
    [['--bogus'], /bogus/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(ArgsError)
    expect(() => parseBenchArgs(argv)).toThrow(message)
  })

  it('--app-heap takes whole MiB, 0 by default, and refuses a negative', () => {
    expect(parse().appHeapMiB).toBe(0)
    expect(parse('--app-heap', '16').appHeapMiB).toBe(16)
    expect(() => parse('--app-heap', '-1')).toThrow(ArgsError)
  })

  it('answers --help', () => {
    expect(parseBenchArgs(['--help'])).toBe('help')
  })
})
