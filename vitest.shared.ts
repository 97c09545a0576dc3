import type { UserWorkspaceConfig } from 'vitest/config';

/** The settings every workspace project shares: sources resolve through the "@x/source" condition. */
export function sharedProject(name: string): UserWorkspaceConfig {
  return {
    resolve: { conditions: ['@x/source'] },
    ssr: { resolve: { conditions: ['@x/source'] } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 20_000,
      hookTimeout: 20_000,
    },
  };
}
