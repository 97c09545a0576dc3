import type { Reply } from '@x/resp';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { Doer, DoerArg } from './doer.js';
import { ReplyTypeError } from './errors.js';
import { hscanIterator, scanIterator, sscanIterator, zscanIterator } from './scan-iterators.js';

const bulk = (text: string) => Buffer.from(text);

/** A Doer that answers from a script of replies and records what it was sent. */
function scripted(replies: (Reply | Promise<Reply>)[]) {
  const calls: DoerArg[][] = [];
  const doer: Doer = {
    do: (command, ...args) => {
      calls.push([command, ...args]);
      const reply = replies.shift();
      if (reply === undefined) throw new Error('the script ran out of replies');
      return Promise.resolve(reply);
    },
  };
  return { doer, calls };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('cursor loop', () => {
  it('follows the cursor until the server answers 0, sending the options after it', async () => {
    const { doer, calls } = scripted([
      [bulk('17'), [bulk('a'), bulk('b')]],
      [bulk('5'), []],
      [bulk('0'), [bulk('c')]],
    ]);
    const keys = await collect(scanIterator(doer, { match: 'k*', count: 2, type: 'string' }));
    expect(keys).toEqual(['a', 'b', 'c']);
    expect(calls).toEqual([
      ['SCAN', '0', 'MATCH', 'k*', 'COUNT', 2, 'TYPE', 'string'],
      ['SCAN', '17', 'MATCH', 'k*', 'COUNT', 2, 'TYPE', 'string'],
      ['SCAN', '5', 'MATCH', 'k*', 'COUNT', 2, 'TYPE', 'string'],
    ]);
  });

  it('keeps a cursor beyond 2^53 exact', async () => {
    const { doer, calls } = scripted([
      [bulk('18446744073709551615'), []],
      [bulk('0'), []],
    ]);
    await collect(sscanIterator(doer, 'set'));
    expect(calls[1]).toEqual(['SSCAN', 'set', '18446744073709551615']);
  });

  it('sends nothing until the first next(), and nothing after a break', async () => {
    const { doer, calls } = scripted([[bulk('9'), [bulk('a'), bulk('b')]]]);
    const iterator = scanIterator(doer);
    expect(calls).toHaveLength(0);
    for await (const key of iterator) {
      expect(key).toBe('a');
      break;
    }
    expect(calls).toHaveLength(1);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(calls).toHaveLength(1);
  });

  it('pairs HSCAN and ZSCAN replies, with typed tuples', async () => {
    const hash = scripted([[bulk('0'), [bulk('f'), bulk('v'), bulk('g'), bulk('w')]]]);
    const fields = await collect(hscanIterator(hash.doer, 'h'));
    expectTypeOf(fields).toEqualTypeOf<[field: string, value: string][]>();
    expect(fields).toEqual([
      ['f', 'v'],
      ['g', 'w'],
    ]);
    const sorted = scripted([[bulk('0'), [bulk('m'), bulk('1.5'), bulk('n'), bulk('-inf')]]]);
    const members = await collect(zscanIterator(sorted.doer, bulk('z'), { count: 100 }));
    expectTypeOf(members).toEqualTypeOf<[member: string, score: number][]>();
    expect(members).toEqual([
      ['m', 1.5],
      ['n', Number.NEGATIVE_INFINITY],
    ]);
    expect(sorted.calls[0]).toEqual(['ZSCAN', bulk('z'), '0', 'COUNT', 100]);
  });
});

describe('a careless caller', () => {
  const doer = scripted([]).doer;
  it.each([
    [
      'no connection',
      () => scanIterator(undefined as never),
      /expected a connection.*got undefined/,
    ],
    ['a connection without do', () => scanIterator({} as never), /got Object/],
    [
      'a number as key',
      () => hscanIterator(doer, 42 as never),
      /key must be a string or bytes, got number/,
    ],
    [
      'a missing key',
      () => sscanIterator(doer, undefined as never),
      /key must be .* got undefined/,
    ],
    [
      'options that are not an object',
      () => scanIterator(doer, 'k*' as never),
      /options must be an object, got string/,
    ],
    [
      'a misspelt option',
      () => scanIterator(doer, { pattern: 'k*' } as never),
      /unknown option "pattern"/,
    ],
    [
      'TYPE on HSCAN',
      () => hscanIterator(doer, 'h', { type: 'hash' } as never),
      /unknown option "type"/,
    ],
    [
      'a numeric match',
      () => scanIterator(doer, { match: 5 as never }),
      /match must be a string or bytes, got number/,
    ],
    [
      'a text count',
      () => zscanIterator(doer, 'z', { count: '10' as never }),
      /count must be a number, got string/,
    ],
    [
      'a non-string type',
      () => scanIterator(doer, { type: ['hash'] as never }),
      /type must be a string, got an array/,
    ],
    [
      'a signal that is not one',
      () => scanIterator(doer, { signal: {} as never }),
      /signal must be an AbortSignal/,
    ],
  ])('gets a TypeError at the call for %s', (_, call, message) => {
    expect(call).toThrow(TypeError);
    expect(call).toThrow(message);
  });

  it.each([0, -1, 1.5, Number.NaN])('gets a RangeError for count %s', (count) => {
    expect(() => scanIterator(doer, { count })).toThrow(RangeError);
  });
});

describe('a hostile reply', () => {
  it.each<[string, Reply]>([
    ['nil', null],
    ['a status', 'OK'],
    ['one element', [bulk('0')]],
    ['three elements', [bulk('0'), [], []]],
    ['elements that are not an array', [bulk('0'), bulk('a')]],
    ['a cursor that is not a number', [bulk('next'), []]],
    ['an integer cursor', [0, []]],
    ['an array element', [bulk('0'), [[bulk('a')]]]],
  ])('is a ReplyTypeError for SCAN: %s', async (_, reply) => {
    const { doer } = scripted([reply]);
    await expect(collect(scanIterator(doer))).rejects.toThrow(ReplyTypeError);
  });

  it('is a ReplyTypeError for an odd HSCAN batch and a ZSCAN score that is not a number', async () => {
    const hash = scripted([[bulk('0'), [bulk('f'), bulk('v'), bulk('g')]]]);
    await expect(collect(hscanIterator(hash.doer, 'h'))).rejects.toThrow(/an even number/);
    const sorted = scripted([[bulk('0'), [bulk('m'), bulk('high')]]]);
    await expect(collect(zscanIterator(sorted.doer, 'z'))).rejects.toThrow(/expected a number/);
  });
});

describe('cancellation', () => {
  it('rejects at once with the reason when the signal aborts during a call', async () => {
    const never = new Promise<Reply>(() => {});
    const { doer } = scripted([never]);
    const controller = new AbortController();
    const next = scanIterator(doer, { signal: controller.signal }).next();
    const reason = new Error('enough');
    controller.abort(reason);
    await expect(next).rejects.toBe(reason);
  }, 1_000);

  it('hands the signal to doWith when the target has one', async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const doer: Doer = {
      do: () => Promise.reject(new Error('do should not be used')),
      doWith: (options) => {
        seen.push(options.signal);
        return Promise.resolve([bulk('0'), []]);
      },
    };
    const controller = new AbortController();
    await collect(scanIterator(doer, { signal: controller.signal }));
    expect(seen).toEqual([controller.signal]);
  });

  it('stops between the elements of a batch', async () => {
    const { doer, calls } = scripted([[bulk('3'), [bulk('a'), bulk('b')]]]);
    const controller = new AbortController();
    const keys: string[] = [];
    const iteration = (async () => {
      for await (const key of scanIterator(doer, { signal: controller.signal })) {
        keys.push(key);
        controller.abort();
      }
    })();
    await expect(iteration).rejects.toMatchObject({ name: 'AbortError' });
    expect(keys).toEqual(['a']);
    expect(calls).toHaveLength(1);
  });

  it('sends nothing when the signal has already aborted', async () => {
    const { doer, calls } = scripted([]);
    const signal = AbortSignal.abort();
    await expect(scanIterator(doer, { signal }).next()).rejects.toBe(signal.reason);
    expect(calls).toHaveLength(0);
  });
});
