import { describe, expect, it } from 'vitest';
import { decodeChunks, everySplit } from '../test/decode-helpers.js';
import { Decoder } from './decoder.js';
import { ProtocolError, ReplyError } from './errors.js';
import { Push, type Reply } from './reply.js';

const bytes = (text: string) => Buffer.from(text);
const nestedBulk: Reply[] = [bytes('a'), [1, null]];

const table: [string, string, Reply][] = [
  ['simple string', '+OK\r\n', 'OK'],
  ['simple string, UTF-8', '+h\xc3\xa9\r\n', 'hé'],
  ['empty simple string', '+\r\n', ''],
  ['error', '-ERR unknown command\r\n', new ReplyError('ERR unknown command')],
  ['integer', ':42\r\n', 42],
  ['negative integer', ':-7\r\n', -7],
  ['zero', ':0\r\n', 0],
  ['negative zero, as the integer 0 (found by fuzzing)', ':-0\r\n', 0],
  ['largest safe integer', ':9007199254740991\r\n', 9007199254740991],
  ['int64 beyond safe range', ':9223372036854775807\r\n', 9223372036854775807n],
  ['negative beyond safe range', ':-9007199254740993\r\n', -9007199254740993n],
  ['bulk string', '$5\r\nhello\r\n', bytes('hello')],
  ['empty bulk string', '$0\r\n\r\n', bytes('')],
  ['binary bulk with CRLF inside', '$4\r\n\r\n\x00\xff\r\n', Buffer.from([13, 10, 0, 255])],
  ['null bulk', '$-1\r\n', null],
  ['null array', '*-1\r\n', null],
  ['empty array', '*0\r\n', []],
  ['array', '*3\r\n:1\r\n$1\r\na\r\n+b\r\n', [1, bytes('a'), 'b']],
  ['nested array', '*2\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n', nestedBulk],
  ['error inside array', '*2\r\n-ERR x\r\n:1\r\n', [new ReplyError('ERR x'), 1]],
  ['RESP3 null', '_\r\n', null],
  ['true', '#t\r\n', true],
  ['false', '#f\r\n', false],
  ['double', ',3.14\r\n', 3.14],
  ['double exponent', ',1.5e-7\r\n', 1.5e-7],
  ['double inf', ',inf\r\n', Number.POSITIVE_INFINITY],
  ['double -inf', ',-inf\r\n', Number.NEGATIVE_INFINITY],
  ['double nan', ',nan\r\n', Number.NaN],
  [
    'big number',
    '(3492890328409238509324850943850943825024385\r\n',
    3492890328409238509324850943850943825024385n,
  ],
  ['verbatim string', '=15\r\ntxt:Some string\r\n', bytes('Some string')],
  ['blob error', '!21\r\nSYNTAX invalid syntax\r\n', new ReplyError('SYNTAX invalid syntax')],
  ['set', '~2\r\n+a\r\n+b\r\n', ['a', 'b']],
  [
    'map',
    '%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n',
    new Map<Reply, Reply>([
      ['first', 1],
      ['second', 2],
    ]),
  ],
  ['empty map', '%0\r\n', new Map()],
  ['push', '>3\r\n+message\r\n+ch\r\n$2\r\nhi\r\n', new Push(['message', 'ch', bytes('hi')])],
  ['map with array values', '%1\r\n+k\r\n*1\r\n:5\r\n', new Map<Reply, Reply>([['k', [5]]])],
];

describe('Decoder', () => {
  it.each(table)('decodes %s', (_name, wire, expected) => {
    expect(decodeChunks([wire]).replies).toEqual([expected]);
  });

  it.each(table)('decodes %s split at every byte offset', (_name, wire, expected) => {
    for (const chunks of everySplit(Buffer.from(wire, 'latin1'))) {
      expect(decodeChunks(chunks).replies).toEqual([expected]);
    }
  });

  it('decodes every table entry from one stream, in order', () => {
    const stream = table.map(([, wire]) => wire).join('');
    expect(decodeChunks([stream]).replies).toEqual(table.map(([, , expected]) => expected));
  });

  it('gives a ReplyError its code', () => {
    const [reply] = decodeChunks(['-WRONGTYPE Operation against a key\r\n']).replies;
    expect(ReplyError.is(reply)).toBe(true);
    expect((reply as ReplyError).code).toBe('WRONGTYPE');
  });

  it('hands attributes to the callback and yields the value they annotate', () => {
    const wire = '|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2\r\n:3\r\n';
    for (const chunks of everySplit(Buffer.from(wire))) {
      const decoded = decodeChunks(chunks);
      expect(decoded.replies).toEqual([[2, 3]]);
      expect(decoded.attributes).toEqual([
        new Map<Reply, Reply>([['key-popularity', new Map<Reply, Reply>([[bytes('a'), 0.19]])]]),
      ]);
    }
  });

  it('treats an empty attribute as an annotation, not a value (found by fuzzing)', () => {
    const decoded = decodeChunks(['|0\r\n:7\r\n']);
    expect(decoded.replies).toEqual([7]);
    expect(decoded.attributes).toEqual([new Map()]);
  });

  it('does not count an attribute inside an array as an element', () => {
    const decoded = decodeChunks(['*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n']);
    expect(decoded.replies).toEqual([[1, 2]]);
    expect(decoded.attributes).toEqual([new Map<Reply, Reply>([['ttl', 3600]])]);
  });

  it('routes top-level pushes to onPush and keeps replies in order', () => {
    const replies: Reply[] = [];
    const pushes: Push[] = [];
    const decoder = new Decoder({
      onReply: (reply) => replies.push(reply),
      onPush: (push) => pushes.push(push),
    });
    decoder.write(bytes(':1\r\n>2\r\n+invalidate\r\n*1\r\n$3\r\nkey\r\n:2\r\n'));
    expect(replies).toEqual([1, 2]);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]?.kind).toBe('invalidate');
  });

  it('yields bulk strings as text when asked', () => {
    const decoded = decodeChunks(['*2\r\n$3\r\nh\xc3\xa9\r\n=8\r\ntxt:text\r\n'], {
      bulkStringsAs: 'string',
    });
    expect(decoded.replies).toEqual([['hé', 'text']]);
  });

  it('does not keep a large socket chunk alive for a small value', () => {
    // Chunks of their own memory, as a socket's are (short Buffer.from() shares a pool).
    const own = (text: string) => {
      const chunk = Buffer.allocUnsafeSlow(text.length);
      chunk.write(text, 'latin1');
      return chunk;
    };
    const chunk = own('$3\r\nabc\r\n*2\r\n$1\r\nd\r\n=7\r\ntxt:efg\r\n$4\r\nhi');
    const next = own('jk\r\n');
    const [small, array, cut] = decodeChunks([chunk, next], { bulkStringsAs: 'view' }).replies as [
      Buffer,
      Buffer[],
      Buffer,
    ];
    expect(small).toEqual(bytes('abc'));
    expect(small.buffer).toBe(chunk.buffer);
    expect(small.byteOffset).toBe(chunk.byteOffset + 4);
    expect(array).toEqual([bytes('d'), bytes('efg')]);
    for (const value of array) expect(value.buffer).toBe(chunk.buffer);
    expect(cut).toEqual(bytes('hijk'));
    expect(cut.buffer).not.toBe(chunk.buffer);
    expect(cut.buffer).not.toBe(next.buffer);
  });

  it('assembles a bulk string that spans many chunks', () => {
    const value = Buffer.alloc(300_000, 7);
    const wire = Buffer.concat([bytes(`$${value.length}\r\n`), value, bytes('\r\n:1\r\n')]);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < wire.length; offset += 65_536)
      chunks.push(wire.subarray(offset, offset + 65_536));
    const [received, next] = decodeChunks(chunks).replies;
    expect(Buffer.isBuffer(received) && received.equals(value)).toBe(true);
    expect(next).toBe(1);
  });

  it('decodes a UTF-8 string that spans chunks, split inside a character', () => {
    const text = 'héllo wörld ✓ '.repeat(5_000);
    const body = Buffer.from(text);
    const wire = Buffer.concat([bytes(`$${body.length}\r\n`), body, bytes('\r\n')]);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < wire.length; offset += 1_001)
      chunks.push(wire.subarray(offset, offset + 1_001));
    expect(decodeChunks(chunks, { bulkStringsAs: 'string' }).replies).toEqual([text]);
    const torn = Buffer.concat([bytes('$4\r\nab'), bytes('cdX\r\n')]);
    expect(() =>
      decodeChunks([torn.subarray(0, 7), torn.subarray(7)], { bulkStringsAs: 'string' }),
    ).toThrow(ProtocolError);
  });

  it('reports whether a reply is partly received', () => {
    const decoder = new Decoder({ onReply: () => {} });
    expect(decoder.idle).toBe(true);
    decoder.write(bytes('*2\r\n:1\r\n'));
    expect(decoder.idle).toBe(false);
    decoder.write(bytes(':2\r\n'));
    expect(decoder.idle).toBe(true);
  });
});

const hostile: [string, string, Partial<ConstructorParameters<typeof Decoder>[0]>?][] = [
  ['an unknown type byte', '?foo\r\n'],
  ['a negative bulk length other than -1', '$-2\r\n'],
  ['a negative array count other than -1', '*-5\r\n'],
  ['a null map', '%-1\r\n'],
  ['a non-digit in a length', '$1x\r\nab\r\n'],
  ['a non-digit in an integer', ':12a\r\n'],
  ['an empty length', '$\r\n'],
  ['a CR without LF', '+OK\rX'],
  ['a bulk without its CRLF', '$3\r\nabcXY'],
  ['a bulk over maxBulkLength', '$1025\r\n', { maxBulkLength: 1024 }],
  ['the default bulk limit', '$536870913\r\n'],
  ['an array over maxAggregateLength', '*11\r\n', { maxAggregateLength: 10 }],
  ['a depth bomb', `${'*1\r\n'.repeat(129)}:1\r\n`],
  ['a depth over maxDepth', '*1\r\n*1\r\n*1\r\n:1\r\n', { maxDepth: 2 }],
  ['a line longer than maxLineLength', `+${'a'.repeat(2000)}`, { maxLineLength: 1000 }],
  ['a length line that never ends', `$${'9'.repeat(40)}`],
  ['a bad boolean', '#x\r\n'],
  ['a bad double', ',abc\r\n'],
  ['a bad big number', '(12a\r\n'],
  ['a bad null', '_x\r\n'],
  ['a streamed string', '$?\r\n;4\r\nHell\r\n;0\r\n'],
  ['a streamed aggregate', '*?\r\n:1\r\n.\r\n'],
  ['a verbatim string without format', '=2\r\nab\r\n'],
];

describe('Decoder on hostile input', () => {
  it.each(hostile)('rejects %s with a ProtocolError', (_name, wire, options) => {
    expect(() => decodeChunks([wire], options)).toThrow(ProtocolError);
  });

  it('says that streamed types are not supported', () => {
    expect(() => decodeChunks(['$?\r\n'])).toThrow(
      /streamed strings and aggregates are not supported \(at byte 0\)/,
    );
    expect(() => decodeChunks([':1\r\n*?\r\n'])).toThrow(/not supported \(at byte 4\)/);
  });

  it('names the offset of the problem in the stream', () => {
    const decoder = new Decoder({ onReply: () => {} });
    decoder.write(bytes('+OK\r\n:1\r\n'));
    let caught: unknown;
    try {
      decoder.write(bytes(':2\r\n$x\r\n'));
    } catch (error) {
      caught = error;
    }
    expect(ProtocolError.is(caught)).toBe(true);
    expect((caught as ProtocolError).offset).toBe(14);
    expect((caught as ProtocolError).message).toMatch(/at byte 14/);
  });

  it('refuses input after a ProtocolError', () => {
    const decoder = new Decoder({ onReply: () => {} });
    expect(() => decoder.write(bytes('?\r\n'))).toThrow(ProtocolError);
    expect(decoder.error).toBeInstanceOf(ProtocolError);
    expect(() => decoder.write(bytes('+OK\r\n'))).toThrow(decoder.error!);
  });

  it('keeps memory flat for a huge announced array that never arrives', () => {
    const decoded = decodeChunks(['*2000000000\r\n:1\r\n']);
    expect(decoded.replies).toEqual([]);
  });

  it('keeps memory flat for a huge announced bulk that never arrives', () => {
    const decoder = new Decoder({ onReply: () => {} });
    decoder.write(bytes('$536870912\r\nabc'));
    expect(decoder.idle).toBe(false);
  });
});
