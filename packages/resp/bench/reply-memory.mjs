#!/usr/bin/env node
// How much heap one decoded value really keeps, beside what the decoder charges for it against
// maxReplyBytes: the source of the cost constants in src/reply-cost.ts. Runs on the built
// package (`pnpm build` first) with `node --expose-gc bench/reply-memory.mjs`. `--hostile` also
// feeds `*4294967295` and then endless tiny elements to a decoder with the default bound.
// A number measures 10.5 B while V8 keeps the array unboxed, 26.5 B once the array's allocation
// site has seen other values (as in a real client): the order of the rows matters.
import { Decoder, ProtocolError } from '../dist/index.js';

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(1);
}

const COUNT = 1_000_000;

/** Heap in use, Buffer contents included, after a full collection. */
function heapInUse() {
  for (let round = 0; round < 3; round++) globalThis.gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** Heap kept per element by the reply `*COUNT` of `element`, decoded with `options`. */
function measuredBytes(element, options) {
  const wire = Buffer.from(`*${COUNT}\r\n${element.repeat(COUNT)}`, 'latin1');
  let reply;
  const decoder = new Decoder({ ...options, onReply: (value) => (reply = value) });
  const before = heapInUse();
  decoder.write(wire);
  const after = heapInUse();
  if (!Array.isArray(reply) || reply.length !== COUNT) throw new Error('reply not decoded');
  return (after - before) / COUNT;
}

/** Whether an array of `count` elements decodes under `maxReplyBytes`. */
function fits(element, count, maxReplyBytes, options) {
  const decoder = new Decoder({ ...options, maxReplyBytes, onReply: () => {} });
  try {
    decoder.write(Buffer.from(`*${count}\r\n${element.repeat(count)}`, 'latin1'));
    return true;
  } catch (error) {
    if (ProtocolError.is(error)) return false;
    throw error;
  }
}

/** The smallest maxReplyBytes that holds `count` elements, found by bisection. */
function smallestBound(element, count, options) {
  let low = 0;
  let high = 2 ** 31;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fits(element, count, middle, options)) high = middle;
    else low = middle;
  }
  return high;
}

/** What the decoder charges per element: the bound's growth from 1,000 to 2,000 elements. */
function chargedBytes(element, options) {
  return (smallestBound(element, 2000, options) - smallestBound(element, 1000, options)) / 1000;
}

const kinds = [
  ['integer :1', ':1\r\n'],
  ['integer :4294967296', ':4294967296\r\n'],
  ['integer :2^60 (bigint)', ':1152921504606846976\r\n'],
  ['double ,1.5', ',1.5\r\n'],
  ['null _', '_\r\n'],
  ['simple string +ab', '+ab\r\n'],
  ['simple string, 16 chars', `+${'a'.repeat(16)}\r\n`],
  ['bulk string, 1 B', '$1\r\na\r\n'],
  ['bulk string, 16 B', `$16\r\n${'a'.repeat(16)}\r\n`],
  ['bulk string, 100 B', `$100\r\n${'a'.repeat(100)}\r\n`],
  ['bulk string as text, 16 B', `$16\r\n${'a'.repeat(16)}\r\n`, { bulkStringsAs: 'string' }],
  [
    'bulk string as text, 16 invalid bytes',
    `$16\r\n${'\xff'.repeat(16)}\r\n`,
    { bulkStringsAs: 'string' },
  ],
  ['error -E x', '-E x\r\n'],
  ['blob error, 40 B', `!40\r\nERR ${'x'.repeat(36)}\r\n`],
  ['empty array *0', '*0\r\n'],
  ['array of one *1 :1', '*1\r\n:1\r\n'],
  ['map of one %1 +a :1', '%1\r\n+a\r\n:1\r\n'],
  ['push of two >2 +m :1', '>2\r\n+m\r\n:1\r\n'],
];

console.log(`Node ${process.version}, ${COUNT} elements in one array\n`);
console.log('| element | heap kept | charged | charged / kept |');
console.log('|---|---:|---:|---:|');
for (const [name, element, options = {}] of kinds) {
  const kept = measuredBytes(element, options);
  const charged = chargedBytes(element, options);
  console.log(
    `| ${name} | ${kept.toFixed(1)} B | ${charged.toFixed(1)} B | ${(charged / kept).toFixed(2)} |`,
  );
}

if (process.argv.includes('--hostile')) {
  console.log('\n| hostile stream, default maxReplyBytes | elements | time | heap growth |');
  console.log('|---|---:|---:|---:|');
  for (const element of [':1\r\n', '$1\r\na\r\n', '-E\r\n', '*0\r\n']) {
    const chunk = Buffer.from(element.repeat(Math.floor(65_536 / element.length)));
    const decoder = new Decoder({ onReply: () => {} });
    const before = heapInUse();
    const started = performance.now();
    decoder.write(Buffer.from('*4294967295\r\n'));
    let sent = 0;
    try {
      for (;;) {
        decoder.write(chunk);
        sent += chunk.length;
      }
    } catch (error) {
      if (!ProtocolError.is(error)) throw error;
    }
    const seconds = (performance.now() - started) / 1000;
    const growth = (heapInUse() - before) / 2 ** 20;
    const name = `*4294967295 then ${JSON.stringify(element)} forever`;
    console.log(
      `| ${name} | ${Math.round(sent / element.length)} | ${seconds.toFixed(2)} s | ${growth.toFixed(0)} MiB |`,
    );
  }
}
