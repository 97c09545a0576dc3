// pnpm hooks. beforePacking shapes the package.json that `pnpm pack` and `pnpm publish` put in a
// tarball: a user installs dependencies only, so devDependencies (among them the private
// @x/test-redis, which is on no registry) and the workspace's scripts (tsup, vitest, benchmarks
// under ../../apps) stay out of it. scripts/check-packages.mjs checks the packed manifests.
// Editing this file changes pnpmfileChecksum in pnpm-lock.yaml: run `pnpm install` after.
module.exports = {
  hooks: {
    beforePacking(manifest) {
      delete manifest.devDependencies;
      delete manifest.scripts;
      return manifest;
    },
  },
};
