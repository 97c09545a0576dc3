// Valkey GLIDE, a peer kept out of the workspace install: its Rust core is a prebuilt native
// binding of about 15 MB, which CI's `pnpm install && pnpm test` does not need. It is installed
// into apps/bench/peers by `pnpm --filter @x/bench peers:install` (see README.md); without it, or
// when its binding does not load here, the benchmark says so once and runs without its rows.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const peers = createRequire(new URL('../peers/package.json', import.meta.url));
// Its exports map hides package.json from require.
const manifest = new URL(
  '../peers/node_modules/@valkey/valkey-glide/package.json',
  import.meta.url,
);

let loaded;

/** GLIDE's module, or undefined (with the reason printed once) when it cannot be loaded here. */
export function loadGlide() {
  if (loaded !== undefined) return loaded.module;
  try {
    const module = peers('@valkey/valkey-glide');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
    // Its Rust core logs warnings to stdout (a pipeline that blocks past 500 ms): not in tables.
    module.Logger.setLoggerConfig('error');
    loaded = { module: { ...module, version } };
  } catch (error) {
    const reason = existsSync(manifest)
      ? `it did not load here: ${String(error?.message ?? error).split('\n')[0]}`
      : 'not installed (pnpm --filter @x/bench peers:install)';
    console.log(`bench: Valkey GLIDE skipped, ${reason}`);
    loaded = { module: undefined, reason };
  }
  return loaded.module;
}

/** Why GLIDE is not in the run, or undefined when it is. */
export function glideAbsence() {
  return loaded?.reason;
}

/**
 * A GLIDE client on 127.0.0.1:port that can hold `inFlight` commands at once: GLIDE refuses
 * requests past `inflightRequestsLimit` (default 1,000) and times each out after
 * `requestTimeout` (default 250 ms), which 100,000 calls issued at once pass.
 */
export function connectGlide(glide, port, inFlight) {
  return glide.GlideClient.createClient({
    addresses: [{ host: '127.0.0.1', port }],
    inflightRequestsLimit: Math.max(1_000, inFlight),
    requestTimeout: 60_000,
  });
}

/** The bench adapter of a GLIDE client: GET returns Buffers (Decoder.Bytes), as ours do. */
export function glideAdapter(glide, client) {
  const bytes = { decoder: glide.Decoder.Bytes };
  return {
    name: `Valkey GLIDE ${glide.version}`,
    set: (key, value) => client.set(key, value),
    get: (key) => client.get(key, bytes),
    pipeline: (commands) => {
      const batch = new glide.Batch(false);
      for (const [name, key, value] of commands) {
        if (name !== 'SET') throw new Error(`the GLIDE adapter pipelines SET only, not ${name}`);
        batch.set(key, value);
      }
      return client.exec(batch, false);
    },
    close: async () => client.close(),
  };
}
