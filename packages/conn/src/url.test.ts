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
    // User info without a colon is the password, as redis-cli and Redigo read it.
    ['redis://secret@h', { host: 'h', port: 6379, password: 'secret' }],
    ['redis://s%40cret%3A@h:7/1', { host: 'h', port: 7, password: 's@cret:', database: 1 }],
    ['rediss://secret@h', { host: 'h', port: 6379, tls: true, password: 'secret' }],
    ['redis://user:@h', { host: 'h', port: 6379, username: 'user' }],
    ['redis://a@b@h', { host: 'h', port: 6379, password: 'a@b' }],
    // No host means the local machine.
    ['redis://:6379', { host: '127.0.0.1', port: 6379 }],
    ['redis://:6380/2', { host: '127.0.0.1', port: 6380, database: 2 }],
    ['redis://:pw@/1', { host: '127.0.0.1', port: 6379, password: 'pw', database: 1 }],
    ['redis://:pw@:6380', { host: '127.0.0.1', port: 6380, password: 'pw' }],
    ['redis://', { host: '127.0.0.1', port: 6379 }],
    ['redis:///3', { host: '127.0.0.1', port: 6379, database: 3 }],
    ['unix:///run/redis.sock', { path: '/run/redis.sock' }],
    // Valkey's names for the same schemes; valkeys:// is TLS.
    ['valkey://h:6380/2', { host: 'h', port: 6380, database: 2 }],
    ['valkeys://user:pw@h', { host: 'h', port: 6379, tls: true, username: 'user', password: 'pw' }],
    ['VALKEYS://h', { host: 'h', port: 6379, tls: true }],
  ])('parses %s', (url, expected) => {
    expect(parseRedisUrl(url)).toEqual(expected);
  });

  it.each([
    ['not a url at all', /invalid Redis URL/],
    ['http://h', /unsupported Redis URL scheme 'http:'/],
    ['redis://h/abc', /invalid database number/],
    ['redis://:p%zz@h', /invalid percent-encoding/],
    ['valkey//h', /invalid Redis URL/],
  ])('rejects %s with a clear TypeError', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('never repeats a password in an error', () => {
    for (const url of [
      'redis://u:hunter2@h/x',
      'ftp://u:hunter2@h',
      'redis://u:hunter2@[bad',
      'redis://hunter2%@h',
      'valkeys://hunter2@h:99999',
    ]) {
      try {
        parseRedisUrl(url);
        expect.unreachable();
      } catch (error) {
        expect(String((error as Error).message)).not.toContain('hunter2');
      }
    }
  });
});
