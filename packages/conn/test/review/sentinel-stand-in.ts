import { type FakeServer, startFakeServer } from '@x/test-redis';

/** A fake server standing in for a sentinel: `SENTINEL CONFIG GET` gives a password, the rest OK. */
export function startSentinelStandIn(): Promise<FakeServer> {
  return startFakeServer({
    onCommand: (command) =>
      command.slice(1, 3).join(' ').toUpperCase() === 'CONFIG GET'
        ? ['sentinel-pass', 'sentinel-s3cret']
        : 'OK',
  });
}
