import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Reply } from '@x/resp';
import { describe, expect, it } from 'vitest';
import {
  byteSlices,
  int,
  ints,
  scan,
  scanSlice,
  scanStruct,
  string,
  stringMap,
  strings,
} from '../src/index.js';
import { thrownBy } from './thrown-by.js';

// These tests import @x/resp as ES module source; a CommonJS consumer in the same process loads
// the built file its `require` condition names, a second copy whose ReplyError is another class.
// The path is read by hand: the test runner passes its source condition on to require().
const require = createRequire(import.meta.url);
const respManifest = require.resolve('@x/resp/package.json');
const commonJsFile = require(respManifest).exports['.'].require.default as string;
const commonJsResp = require(join(dirname(respManifest), commonJsFile)) as typeof import('@x/resp');
const serverError = new commonJsResp.ReplyError('WRONGTYPE Operation against a key');
// A converter that is no helper of this package, so only scan's own check can throw the error.
const asIs = (value: Reply) => value;

describe('an error reply from the CommonJS copy of @x/resp', () => {
  it('is a copy of its own', async () => {
    const { ReplyError } = await import('@x/resp');
    expect(commonJsResp.ReplyError).not.toBe(ReplyError);
  });

  it.each<[string, () => unknown]>([
    ['strings', () => strings(['a', serverError] as Reply[])],
    ['byteSlices', () => byteSlices([serverError] as Reply[])],
    ['ints', () => ints([1, serverError] as Reply[])],
    ['stringMap', () => stringMap(['field', serverError] as Reply[])],
    ['scan', () => scan(['a', serverError] as Reply[], [string, asIs])],
    ['scan of the error itself', () => scan(serverError as Reply, [string])],
    ['scanStruct', () => scanStruct(['name', serverError] as Reply[], { name: asIs })],
    ['scanSlice', () => scanSlice(['a', serverError] as Reply[], [string, asIs])],
    ['a scalar helper', () => int(serverError as Reply)],
  ])('inside a reply is thrown as the server sent it by %s', (_, convert) => {
    expect(thrownBy(convert)).toBe(serverError);
  });

  it('rejects a promise of strings() with the server error, not a type error', async () => {
    await expect(strings(Promise.resolve(['a', serverError] as Reply[]))).rejects.toBe(serverError);
  });
});
