import { defineConfig } from 'vitest/config';

// Three projects: `unit` (pure logic, parallel), `netns` (needs root and network namespaces,
// one file at a time so namespace sweeps never race), `e2e` (the testbed).
const sources = ['packages', 'apps', 'examples'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: sources.map((d) => `${d}/*/test/**/*.test.ts`),
          exclude: ['**/*.netns.test.ts', '**/node_modules/**', '**/dist/**'],
        },
      },
      {
        test: {
          name: 'netns',
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
