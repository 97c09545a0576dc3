// DEFECT (low): gaps in the `sentinels` entry check. An entry that is not host:port is taken as
// a host name with port 26379 instead of refused when sentinelDial is called, so the mistake
// surfaces only as DNS failures inside a SentinelError at every dial; bare IPv6 addresses are
// misread ("::1" becomes host ":" port 1); a URL with port 0 is accepted where "host:0" is refused.
import { expect, it } from 'vitest';
import { sentinelDial } from '../../src/index.js';

const make = (entry: string) => () =>
  sentinelDial({ sentinels: [entry], masterName: 'mymaster' }).sentinels();

it.each([
  ['127.0.0.1:abc'], // observed: [127.0.0.1:abc]:26379
  ['host:'], // observed: [host:]:26379
  ['127.0.0.1:26379/0'], // observed: [127.0.0.1:26379/0]:26379
  ['redis://127.0.0.1:0'], // observed: 127.0.0.1:0 (while "127.0.0.1:0" throws a RangeError)
])('refuses the malformed entry %s when the dial function is made', (entry) => {
  expect(make(entry)).toThrow();
});

it.each([
  ['::1', ['[::1]:26379']], // observed: ['[:]:1']
  ['2001:db8::1', ['[2001:db8::1]:26379']], // observed: ['[2001:db8:]:1']
])(
  'reads the bare IPv6 address %s as a host (or refuses it), never as host ":" port 1',
  (entry, expected) => {
    let read: string[] | Error;
    try {
      read = make(entry)();
    } catch (error) {
      read = error as Error;
    }
    if (!(read instanceof Error)) expect(read).toEqual(expected);
  },
);

it('reads [::1] alone as the IPv6 loopback on the default port', () => {
  expect(make('[::1]')()).toEqual(['[::1]:26379']);
});
