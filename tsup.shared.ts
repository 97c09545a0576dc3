import { defineConfig } from 'tsup';

/** The build every public package uses: ESM and CommonJS with declarations for both. */
export const libraryBuild = defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
