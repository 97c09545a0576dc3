import { describe, expect, it } from 'vitest';
import { sentinelDial } from './index.js';

const good = { sentinels: ['127.0.0.1:26379'], masterName: 'mymaster' };

describe('sentinelDial options are checked when the dial function is made', () => {
  it.each([
    [{ ...good, sentinels: [] }, TypeError, 'sentinels must be a non-empty array'],
    [{ ...good, sentinels: '127.0.0.1:26379' }, TypeError, 'sentinels must be a non-empty array'],
    [{ ...good, sentinels: [26379] }, TypeError, 'each sentinel must be'],
    [{ ...good, sentinels: ['u:p@host:26379'] }, TypeError, 'must be a redis:// URL (not shown'],
    [{ ...good, sentinels: ['127.0.0.1:70000'] }, RangeError, 'sentinel port'],
    [{ ...good, sentinels: ['unix:///tmp/s.sock'] }, TypeError, 'over TCP'],
    [{ ...good, masterName: '' }, TypeError, 'masterName must be'],
    [{ ...good, role: 'slave' }, TypeError, "role must be 'master' or 'replica'"],
    [{ ...good, host: '10.0.0.1' }, TypeError, 'host has no place here'],
    [{ ...good, port: 6379 }, TypeError, 'port has no place here'],
    [{ ...good, database: -1 }, RangeError, 'database'],
    [{ ...good, connectTimeoutMs: 'soon' }, TypeError, 'connectTimeoutMs'],
    [{ ...good, username: 'app' }, TypeError, 'username needs a password'],
    [{ ...good, sentinel: { timeoutMs: -1 } }, RangeError, 'sentinel.timeoutMs'],
    [{ ...good, sentinel: { username: 'watcher' } }, TypeError, 'username needs a password'],
    [{ ...good, sentinel: null }, TypeError, 'sentinel must be an object'],
    [{ ...good, mapAddress: {} }, TypeError, 'mapAddress must be a function'],
    [{ ...good, bulkStringsAs: 'string' }, TypeError, 'belongs under `decoder`'],
  ])('refuses %o', (options, kind, message) => {
    expect(() => sentinelDial(options as never)).toThrow(kind);
    expect(() => sentinelDial(options as never)).toThrow(message);
  });

  it.each([
    ['redis://:hunter2@127.0.0.1:0', /port from 1 to 65535/],
    ['redis://:hunter2@[bad', /invalid Redis URL/],
    ['unix://:hunter2@/tmp/sentinel.sock', /over TCP/],
    ['ftp://:hunter2@127.0.0.1', /unsupported Redis URL scheme/],
  ])('refuses the sentinel URL %s without showing its password', (url, reason) => {
    let message = '';
    try {
      sentinelDial({ ...good, sentinels: [url] });
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(reason);
    expect(message).not.toContain('hunter2');
  });

  it('takes host:port, [IPv6]:port, a host alone and URLs, in the order given', () => {
    const dial = sentinelDial({
      ...good,
      sentinels: ['10.0.0.1:5000', '[::1]:26380', 'sentinel.local', 'redis://:pw@10.0.0.2'],
    });
    expect(dial.sentinels()).toEqual([
      '10.0.0.1:5000',
      '[::1]:26380',
      'sentinel.local:26379',
      '10.0.0.2:26379',
    ]);
  });
});
