import { defineProject, mergeConfig } from 'vitest/config';
import { sharedProject } from '../../vitest.shared.js';

// Fault tests kill and restart servers: give them room, and run the files one at a time.
export default defineProject(
  mergeConfig(sharedProject('reliability'), {
    test: { testTimeout: 120_000, hookTimeout: 60_000, fileParallelism: false },
  }),
);
