import { dial } from '@x/conn';
import type { Arg, Reply } from '@x/resp';
import { startRedisServer } from '@x/test-redis';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { keySlot } from '../../src/index.js';

// Keys of every kind keySlot takes, with braces common enough to hit the hash-tag rule often.
const braced = fc.string({
  unit: fc.constantFrom('{', '}', 'a', 'b', '1', 'é', '😀', '\u0000', ' '),
  maxLength: 10,
});
const key: fc.Arbitrary<Arg> = fc.oneof(
  braced,
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: fc.nat(0xffff).map((code) => String.fromCharCode(code)), maxLength: 8 }),
  fc.uint8Array({ maxLength: 24 }),
  braced.map((text) => Buffer.from(text)),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.bigInt(),
);

it('agrees with CLUSTER KEYSLOT on 6,000 random keys', async () => {
  const server = await startRedisServer({
    args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
  });
  const conn = await dial(server.url);
  try {
    const keys = fc.sample(key, { numRuns: 6000, seed: 16 });
    for (const each of keys) conn.send('CLUSTER', 'KEYSLOT', each);
    const slots = (await conn.do('')) as Reply[];
    const mismatches = keys.filter((each, index) => keySlot(each) !== slots[index]);
    expect(mismatches).toEqual([]);
  } finally {
    await conn.close();
    await server.stop();
  }
});
