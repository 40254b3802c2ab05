// Test runner settings: tests sit beside their subject (*.test.ts) and whole-engine suites under tests/.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'bench/peers/**'],
    pool: 'forks',
    testTimeout: 60_000,
    env: { SETT_ASSERT: '1' },
  },
})
