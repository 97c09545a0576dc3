import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from './url.js';

describe('parseRedisUrl', () => {
  it.each([
    ['redis://localhost', { host: 'localhost', port: 6379 }],
    ['redis://h:6380/2', { host: 'h', port: 6380, database: 2 }],
    [
      'redis://user:p%40ss%3Aw@h:1/0',
      { host: 'h', port: 1, username: 'user', password: 'p@ss:w', database: 0 },
    ],
    ['redis://:secret@h', { host: 'h', port: 6379, password: 'secret' }],
    ['rediss://h', { host: 'h', port: 6379, tls: true }],
    ['redis://[::1]:7000', { host: '::1', port: 7000 }],
    ['redis://h?db=3', { host: 'h', port: 6379, database: 3 }],
    ['unix:///run/redis.sock?db=2', { path: '/run/redis.sock', database: 2 }],
    ['unix://:pw@localhost/tmp/r.sock', { path: '/tmp/r.sock', password: 'pw' }],
  ])('parses %s', (url, expected) => {
    expect(parseRedisUrl(url)).toEqual(expected);
  });

  it.each([
    ['not a url at all', /invalid Redis URL/],
    ['http://h', /unsupported Redis URL scheme 'http:'/],
    ['redis://h/abc', /invalid database number/],
  ])('rejects %s with a clear TypeError', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('never repeats a password in an error', () => {
    for (const url of ['redis://u:hunter2@h/x', 'ftp://u:hunter2@h', 'redis://u:hunter2@[bad']) {
      try {
        parseRedisUrl(url);
        expect.unreachable();
      } catch (error) {
        expect(String((error as Error).message)).not.toContain('hunter2');
      }
    }
  });
});
