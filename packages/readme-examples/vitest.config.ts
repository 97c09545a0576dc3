import { defineProject, mergeConfig } from 'vitest/config';
import { sharedProject } from '../../vitest.shared.js';

// Packing and installing with npm and pnpm takes seconds per README: give hooks room.
export default defineProject(
  mergeConfig(sharedProject('readme-examples'), {
    test: { testTimeout: 60_000, hookTimeout: 120_000 },
  }),
);
