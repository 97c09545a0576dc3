import { describe, expect, it } from 'vitest';
import { NeedsOwnConnectionError } from './errors.js';
import { refusalOnShared } from './shared-commands.js';

describe('refusalOnShared', () => {
  it.each([
    ['MULTI', []],
    ['exec', []],
    ['Watch', ['k']],
    ['UNWATCH', []],
    ['DISCARD', []],
    ['SUBSCRIBE', ['c']],
    ['psubscribe', ['p*']],
    ['SSUBSCRIBE', ['s']],
    ['UNSUBSCRIBE', []],
    ['MONITOR', []],
    ['SELECT', [1]],
    ['AUTH', ['pw']],
    ['HELLO', [3]],
    ['RESET', []],
    ['QUIT', []],
    ['BLPOP', ['k', 1]],
    ['BLPOP', ['k', 0]],
    ['brpoplpush', ['a', 'b', '0.5']],
    ['BLMPOP', [1, 1, 'k', 'LEFT']],
    ['WAIT', [1, 0]],
    ['XREAD', ['BLOCK', 0, 'STREAMS', 's', '$']],
    ['XREADGROUP', ['GROUP', 'g', 'c', 'BLOCK', 10, 'STREAMS', 's', '>']],
    // Forms the server reads and a number parser may not, and options in any order.
    ['BLPOP', ['k', '0x1p1']],
    ['BZPOPMIN', ['z', '0x1p1']],
    ['XREADGROUP', ['BLOCK', 2000, 'GROUP', 'g', 'c', 'STREAMS', 's', '>']],
    ['xread', ['COUNT', 1, 'block', 0, 'STREAMS', 's', '$']],
    ['CLIENT', ['TRACKING', 'on']],
    ['client', ['setname', 'x']],
    ['CLIENT', ['NO-EVICT', 'on']],
    ['SYNC', []],
    ['PSYNC', ['?', -1]],
    ['READONLY', []],
  ] as const)('refuses %s %j', (command, args) => {
    const refusal = refusalOnShared(command, args);
    expect(refusal).toBeInstanceOf(NeedsOwnConnectionError);
    expect(refusal?.code).toBe('ERR_NEEDS_OWN_CONNECTION');
    expect(refusal?.message).toMatch(
      /exclusive|Subscriber|client options|close\(\)|reconnect|replies/,
    );
  });

  it.each([
    ['GET', ['k']],
    ['SET', ['MULTI', 'EXEC']],
    ['XREAD', ['COUNT', 1, 'STREAMS', 's', '0']],
    // A group or consumer named BLOCK is not the BLOCK option.
    ['XREADGROUP', ['GROUP', 'BLOCK', 'BLOCK', 'STREAMS', 's', '>']],
    ['CLIENT', ['ID']],
    ['CLIENT', ['INFO']],
    ['EVAL', ['return 1', 0]],
  ] as const)('lets %s %j through', (command, args) => {
    expect(refusalOnShared(command, args)).toBeNull();
  });
});
