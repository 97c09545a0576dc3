import { openRawClient, type RawClient, type RedisServer, startRedisServer } from '@x/test-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Push, type Reply } from '../../src/index.js';

let server: RedisServer;
let client: RawClient;

beforeAll(async () => {
  server = await startRedisServer();
  client = await openRawClient(server.port);
  const hello = await client.call('HELLO', 3);
  expect(hello).toBeInstanceOf(Map);
});

afterAll(async () => {
  client?.close();
  await server?.stop();
});

const text = (value: string) => Buffer.from(value);

describe('RESP3 from a real redis-server (DEBUG PROTOCOL)', () => {
  it.each<[string, Reply]>([
    ['string', text('Hello World')],
    ['integer', 12345],
    ['double', 3.141],
    ['bignum', 1234567999999999999999999999999999999n],
    ['null', null],
    ['array', [0, 1, 2]],
    ['set', [0, 1, 2]],
    [
      'map',
      new Map<Reply, Reply>([
        [0, false],
        [1, true],
        [2, false],
      ]),
    ],
    ['verbatim', text('This is a verbatim\nstring')],
    ['true', true],
    ['false', false],
  ])('decodes %s', async (type, expected) => {
    expect(await client.call('DEBUG', 'PROTOCOL', type)).toEqual(expected);
  });

  it('hands attributes to the callback and returns the annotated reply', async () => {
    const reply = await client.call('DEBUG', 'PROTOCOL', 'attrib');
    expect(reply).toEqual(text('Some real reply following the attribute'));
    expect(client.attributes.at(-1)).toEqual(
      new Map<Reply, Reply>([[text('key-popularity'), [text('key:123'), 90]]]),
    );
  });

  it('keeps a push frame apart from the command reply', async () => {
    const reply = await client.call('DEBUG', 'PROTOCOL', 'push');
    expect(reply).toEqual(text('Some real reply following the push reply'));
    expect(client.pushes.at(-1)).toEqual(new Push([text('server-cpu-usage'), 42]));
  });

  it('round-trips binary values and large values', async () => {
    const binary = Buffer.from([0, 13, 10, 255, 36, 42]);
    const large = Buffer.alloc(3 * 1024 * 1024, 'x');
    expect(await client.call('SET', 'bin', binary)).toBe('OK');
    expect(await client.call('SET', 'large', large)).toBe('OK');
    expect(await client.call('GET', 'bin')).toEqual(binary);
    const received = await client.call('GET', 'large');
    expect(Buffer.isBuffer(received) && received.equals(large)).toBe(true);
  });

  it('returns server errors as ReplyError values with their code', async () => {
    await client.call('SET', 'str', 'v');
    const reply = await client.call('LPUSH', 'str', 'x');
    expect(reply).toMatchObject({ name: 'ReplyError', code: 'WRONGTYPE' });
  });
});
