#!/usr/bin/env node
// Decode and encode throughput of @x/resp beside redis-parser, in one process, on the built
// package (run `pnpm build` first; `pnpm bench` at the root does). The decoders take turns round
// by round; median of 5 rounds after a warm-up round each; replies per second, every pass's
// reply count checked. `--quick` runs fewer, shorter rounds. glibc's malloc thresholds are fixed
// first (fixed-malloc.mjs), or the 100 KiB rows measure the allocator.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { median, turnOrder } from '../../../apps/bench/src/measure.mjs';
import { CommandEncoder, Decoder } from '../dist/index.js';
import { runWithFixedMalloc } from './fixed-malloc.mjs';

const RedisParser = createRequire(import.meta.url)('redis-parser');
const CHUNK = 65_536;
let rounds = 5;
let roundMs = 300;

/** Cuts a stream into socket-sized chunks, as a TCP read would deliver them. */
function chunked(frame, count) {
  const stream = Buffer.concat(Array.from({ length: count }, () => frame));
  const chunks = [];
  for (let offset = 0; offset < stream.length; offset += CHUNK)
    chunks.push(stream.subarray(offset, offset + CHUNK));
  return chunks;
}

/** Runs `decodeAll` for `roundMs`; returns replies per second. */
function measure(decodeAll, repliesPerCall) {
  const start = process.hrtime.bigint();
  let calls = 0;
  let elapsed = 0;
  do {
    decodeAll();
    calls++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  } while (elapsed < roundMs);
  return (calls * repliesPerCall) / (elapsed / 1000);
}

/**
 * Measures contenders side by side: a warm-up each, then rounds in which they take turns in the
 * orders of a balanced Latin square (apps/bench's turnOrder: none always runs right after the
 * same other), so that a slow moment of the machine falls on all of them alike. Collections run
 * between turns, never inside one. Returns each contender's rates, one per round in round order.
 */
function benchSideBySide(makers, repliesPerCall) {
  const runs = makers.map((make) => make());
  for (const run of runs) measure(run, repliesPerCall);
  const results = runs.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const index of turnOrder(round, runs.length)) {
      globalThis.gc?.();
      results[index].push(measure(runs[index], repliesPerCall));
    }
  }
  return results;
}

function bench(make, repliesPerCall) {
  return median(benchSideBySide([make], repliesPerCall)[0]);
}

/** Fails the run when a decoder delivered other than `count` replies for one pass. */
function checkCount(name, received, count) {
  if (received !== count)
    throw new Error(`${name} delivered ${received} replies for ${count}: the row is void`);
}

/**
 * An earlier build's Decoder, measured beside this one, when BENCH_RESP_BASELINE names its
 * dist/index.js: an A/B of a decoder change in one run.
 */
const BaselineDecoder = process.env.BENCH_RESP_BASELINE
  ? (await import(process.env.BENCH_RESP_BASELINE)).Decoder
  : undefined;

/** Whether the baseline Decoder knows `bulkStringsAs` (an older one may not know 'view'). */
function baselineTakes(bulkStringsAs) {
  try {
    new BaselineDecoder({ bulkStringsAs, onReply: () => {} });
    return true;
  } catch {
    return false;
  }
}

const ours =
  (chunks, count, bulkStringsAs, DecoderClass = Decoder) =>
  () => {
    let received = 0;
    const decoder = new DecoderClass({ bulkStringsAs, onReply: () => received++ });
    return () => {
      received = 0;
      for (const chunk of chunks) decoder.write(chunk);
      checkCount('@x/resp', received, count);
    };
  };
const theirs =
  (chunks, count, returnBuffers, copy = false) =>
  () => {
    let received = 0;
    const parser = new RedisParser({
      returnBuffers,
      returnReply: copy
        ? (reply) => {
            copyReply(reply);
            received++;
          }
        : () => received++,
      returnError: () => received++,
    });
    return () => {
      received = 0;
      for (const chunk of chunks) parser.execute(chunk);
      checkCount('redis-parser', received, count);
    };
  };

// The copy @x/resp's default Buffer mode makes, applied to redis-parser's views so that both
// sides of a "copies" row return the same kind of Buffer: values under 4 KiB get memory of their
// own (a loop up to 64 B, Buffer#copy above, as the decoder does); larger ones stay as returned.
function copyReply(reply) {
  if (Array.isArray(reply)) {
    const copies = new Array(reply.length);
    for (let index = 0; index < reply.length; index++) copies[index] = copyReply(reply[index]);
    return copies;
  }
  if (!Buffer.isBuffer(reply) || reply.length >= 4096) return reply;
  const size = reply.length;
  const copy = Buffer.allocUnsafe(size);
  if (size <= 64) for (let index = 0; index < size; index++) copy[index] = reply[index];
  else reply.copy(copy, 0, 0, size);
  return copy;
}

const bulk = (size) => Buffer.from(`$${size}\r\n${'v'.repeat(size)}\r\n`);
const array10 = Buffer.from(`*10\r\n${`$16\r\n${'a'.repeat(16)}\r\n`.repeat(10)}`);
// [name, frame, frames per pass, whether it holds bulk strings]. Only bulk strings differ by
// output mode: simple strings are text and integers numbers in every mode of @x/resp, so those
// rows run once, against redis-parser returning text (equal types; its Buffers mode would give
// Buffers for simple strings).
const cases = [
  ['+OK', Buffer.from('+OK\r\n'), 20_000, false],
  // +OK is answered with a constant string; +QUEUED has to be decoded.
  ['+QUEUED', Buffer.from('+QUEUED\r\n'), 20_000, false],
  [':integer', Buffer.from(':1234567\r\n'), 20_000, false],
  ['16 B bulk', bulk(16), 20_000, true],
  ['100 B bulk', bulk(100), 20_000, true],
  ['1 KiB bulk', bulk(1024), 2_000, true],
  ['100 KiB bulk', bulk(100 * 1024), 50, true],
  ['10 x 16 B array', array10, 5_000, true],
];

/**
 * The output modes, each with equal output types on both sides: [row label, @x/resp's
 * bulkStringsAs, redis-parser's returnBuffers, whether redis-parser's replies are copied].
 * copies: Buffers of their own below 4 KiB (@x/resp's default; redis-parser's views copied the
 * same way). views: Buffers that are views of the chunk (redis-parser's own output). strings.
 */
const modes = [
  ['copies', 'buffer', true, true],
  ['views', 'view', true, false],
  ['strings', 'string', false, false],
];
/** Simple strings (text) and integers (numbers): the same type on both sides in every mode. */
const textModeOf = (name) => [name.startsWith(':') ? 'numbers' : 'strings', 'buffer', false, false];

/**
 * Runs every codec case; resolves to decode rows [name, ours, redis-parser, baseline?, spread]
 * in replies/s, medians (baseline only with BENCH_RESP_BASELINE; spread is the lowest and highest
 * of the per-round ratios ours / redis-parser, rounds paired in order) and the encode rate in
 * commands/s.
 */
export function runCodecBench({ quick = false } = {}) {
  rounds = quick ? 3 : 5;
  roundMs = quick ? 100 : 300;
  const rows = [];
  for (const [name, frame, count, hasBulk] of cases) {
    const chunks = chunked(frame, count);
    for (const [label, bulkStringsAs, returnBuffers, copy] of hasBulk
      ? modes
      : [textModeOf(name)]) {
      const makers = [
        ours(chunks, count, bulkStringsAs),
        theirs(chunks, count, returnBuffers, copy),
      ];
      if (BaselineDecoder && baselineTakes(bulkStringsAs))
        makers.push(ours(chunks, count, bulkStringsAs, BaselineDecoder));
      const [oursRates, theirsRates, baselineRates] = benchSideBySide(makers, count);
      const ratios = oursRates.map((rate, round) => rate / theirsRates[round]);
      rows.push([
        `${name} (${label})`,
        median(oursRates),
        median(theirsRates),
        baselineRates && median(baselineRates),
        [Math.min(...ratios), Math.max(...ratios)],
      ]);
    }
  }

  const value = 'x'.repeat(100);
  const encodeRate = bench(() => {
    const encoder = new CommandEncoder();
    return () => {
      for (let index = 0; index < 1000; index++) encoder.add(['SET', `key:${index}`, value]);
      encoder.take();
    };
  }, 1000);
  return { rows, encodeRate, rounds, roundMs };
}

/** Formats a row's lowest and highest per-round ratio. */
export const formatSpread = ([low, high]) => `${low.toFixed(2)}-${high.toFixed(2)}x`;

/** Formats a rate as M/s or k/s. */
export const format = (rate) =>
  rate >= 1e6 ? `${(rate / 1e6).toFixed(2)} M/s` : `${(rate / 1e3).toFixed(0)} k/s`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runWithFixedMalloc();
  const { rows, encodeRate, rounds, roundMs } = runCodecBench({
    quick: process.argv.includes('--quick'),
  });
  console.log(`Node ${process.version}, ${rounds} rounds of ${roundMs} ms, median\n`);
  const withBaseline = BaselineDecoder !== undefined;
  console.log(
    `| decode | @x/resp | redis-parser | ratio | rounds' ratios |${withBaseline ? ' baseline | vs baseline |' : ''}`,
  );
  console.log(`|---|---:|---:|---:|---:|${withBaseline ? '---:|---:|' : ''}`);
  for (const [name, oursRate, theirsRate, baselineRate, spread] of rows) {
    const versusBaseline = !withBaseline
      ? ''
      : baselineRate === undefined
        ? ' | |'
        : ` ${format(baselineRate)} | ${(oursRate / baselineRate).toFixed(2)}x |`;
    console.log(
      `| ${name} | ${format(oursRate)} | ${format(theirsRate)} | ${(oursRate / theirsRate).toFixed(2)}x | ${formatSpread(spread)} |${versusBaseline}`,
    );
  }
  console.log(
    `\n| encode | @x/resp |\n|---|---:|\n| SET key:N <100 B value> | ${format(encodeRate)} |`,
  );
}
