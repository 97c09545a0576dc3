import { describe, expect, it } from 'vitest';
import { everySplit } from '../test/decode-helpers.js';
import { CommandDecoder, splitInline } from './command-decoder.js';
import { encodeCommand } from './encode-command.js';
import { ProtocolError } from './errors.js';

function decodeCommands(chunks: readonly Uint8Array[]): string[][] {
  const commands: string[][] = [];
  const decoder = new CommandDecoder({ onCommand: (args) => commands.push(args.map(String)) });
  for (const chunk of chunks) decoder.write(chunk);
  return commands;
}

describe('CommandDecoder', () => {
  it('decodes multibulk commands split at every offset', () => {
    const wire = Buffer.concat([
      encodeCommand(['SET', 'k', 'a\r\nb']),
      encodeCommand(['GET', 'k']),
    ]);
    for (const chunks of everySplit(wire)) {
      expect(decodeCommands(chunks)).toEqual([
        ['SET', 'k', 'a\r\nb'],
        ['GET', 'k'],
      ]);
    }
  });

  it('decodes inline commands, skipping empty lines', () => {
    const wire = Buffer.from("PING\r\n\r\nSET k \"a b\"\nECHO 'it\\'s'\r\n");
    for (const chunks of everySplit(wire)) {
      expect(decodeCommands(chunks)).toEqual([['PING'], ['SET', 'k', 'a b'], ['ECHO', "it's"]]);
    }
  });

  it('mixes inline and multibulk commands', () => {
    const wire = Buffer.concat([Buffer.from('PING\r\n'), encodeCommand(['ECHO', 'x'])]);
    expect(decodeCommands([wire])).toEqual([['PING'], ['ECHO', 'x']]);
  });

  it('keeps binary arguments intact', () => {
    const value = Buffer.from([0, 13, 10, 255]);
    const received: Buffer[][] = [];
    const decoder = new CommandDecoder({ onCommand: (args) => received.push(args) });
    decoder.write(encodeCommand(['SET', 'k', value]));
    expect(received[0]?.[2]).toEqual(value);
  });

  it.each([
    ['a bad bulk marker', '*1\r\n:1\r\n'],
    ['a negative bulk length', '*1\r\n$-1\r\n'],
    ['a non-numeric count', '*x\r\n'],
    ['unbalanced quotes', 'SET "a\r\n'],
    ['a missing CRLF after a bulk', '*1\r\n$1\r\nab\r\n'],
  ])('rejects %s with a ProtocolError', (_name, wire) => {
    expect(() => decodeCommands([Buffer.from(wire)])).toThrow(ProtocolError);
  });

  it('rejects an inline line over the limit', () => {
    const decoder = new CommandDecoder({ onCommand: () => {}, maxInlineLength: 10 });
    expect(() => decoder.write(Buffer.from('PING'.repeat(10)))).toThrow(/too big inline request/);
  });
});

describe('splitInline', () => {
  it.each([
    ['a b  c', ['a', 'b', 'c']],
    ['"\\x41\\n" x', ['A\n', 'x']],
    ["'a\\nb'", ['a\\nb']],
    ['""', ['']],
    ['', []],
  ])('splits %j', (line, expected) => {
    expect(splitInline(line)).toEqual(expected);
  });

  it.each(['"abc', '"a"b', "'abc"])('refuses %j', (line) => {
    expect(splitInline(line)).toBeNull();
  });
});
