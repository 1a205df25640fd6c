import { defineConfig } from 'vitest/config';

// Three projects: `unit` (pure logic, parallel), `netns` (needs root and network namespaces,
// one file at a time), `e2e` (the testbed). groupOrder runs them one after another, so the
// CPU-heavy testbed suites never compete with the unit tests' timing-sensitive cases.
const sources = ['packages', 'apps', 'examples'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: [...sources.map((d) => `${d}/*/test/**/*.test.ts`), 'docs/test/**/*.test.ts'],
          exclude: ['**/*.netns.test.ts', '**/node_modules/**', '**/dist/**'],
        },
      },
      {
        test: {
          name: 'netns',
          sequence: { groupOrder: 1 },
          // Real packets on a shared 2-core machine: one retry absorbs a scheduling stall; a
          // test that fails twice is a failure.
          retry: 1,
          include: sources.map((d) => `${d}/*/test/**/*.netns.test.ts`),
          exclude: ['**/node_modules/**', '**/dist/**'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          sequence: { groupOrder: 2 },
          retry: 1,
          include: ['e2e/test/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
