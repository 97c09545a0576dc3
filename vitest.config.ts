import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    // Most suites wait on real servers (failovers, time limits, reconnect backoff) far more than
    // they compute: four files at a time on two cores keeps CI within its 10 minutes (measured:
    // the cluster and pub/sub projects 168 s with two, 50 s with four).
    maxWorkers: 4,
    reporters: ['default', 'json'],
    outputFile: { json: '.turbo/vitest-report.json' },
  },
});
