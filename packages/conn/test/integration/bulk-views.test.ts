import { useRedisServer } from '@x/test-redis';
import { describe, expect, it } from 'vitest';
import { dial } from '../../src/index.js';

const redis = useRedisServer();
const key = (name: string) => `views:${name}:${Math.random().toString(36).slice(2)}`;

/** The bytes just before a Buffer in the memory it shares: a view of the socket chunk shows the header. */
const before = (value: Buffer, length: number) =>
  Buffer.from(value.buffer, value.byteOffset - length, length).toString('latin1');

describe("decoder: { bulkStringsAs: 'view' }", () => {
  it('returns bulk strings as views of the chunk read, equal to the default copies', async () => {
    const views = await dial(redis.url, { decoder: { bulkStringsAs: 'view' } });
    const copies = await dial(redis.url);
    const name = key('100b');
    const value = 'v'.repeat(100);
    await views.do('SET', name, value);
    const [viewed, copied] = (await Promise.all([
      views.do('GET', name),
      copies.do('GET', name),
    ])) as [Buffer, Buffer];
    expect(viewed).toEqual(Buffer.from(value));
    expect(copied).toEqual(viewed);
    expect(before(viewed, 6)).toBe('$100\r\n');
    const [listed] = (await views.do('MGET', name)) as [Buffer];
    expect(before(listed, 6)).toBe('$100\r\n');
    await Promise.all([views.close(), copies.close()]);
  });
});
