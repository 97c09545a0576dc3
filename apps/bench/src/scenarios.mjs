// The client scenarios of apps/bench. Each runs one client and resolves to its measurements.
// Keys and values are made before the clock starts, the same for every client, and each value is
// unique to its key and its round, so a reply from another key, another worker or an earlier round
// counts as wrong. Replies are checked after the clock stops; a rejection counts as an error.
import { dial } from '@x/conn';
import { Pool } from '@x/pool';
import { PubSubConn } from '@x/pubsub';
import { Redis } from 'ioredis';
import { Valkey } from 'iovalkey';
import { createClient, createClientPool, RESP_TYPES } from 'redis';
import { connectGlide, loadGlide } from './glide.mjs';
import { memory, percentile, settle } from './measure.mjs';

// No timeout, as in ioredis and @x/conn: node-redis's 5 s default is slower, fails 100k at once.
export const nodeRedisCommandOptions = { timeout: 0 };
/** node-redis's option for bulk strings as Buffers, which every other client returns for GET. */
export const nodeRedisBuffers = { [RESP_TYPES.BLOB_STRING]: Buffer };
// The workload for the concurrent scenarios: 100 B values; 16 B elsewhere.
const smallValueBytes = 16;
const concurrentValueBytes = 100;
const largeValueBytes = 1024 * 1024;
// GLIDE refuses more than 1,000 commands in flight unless told otherwise (glide.mjs).
const readBackBatch = 1_000;

let roundNumber = 0;

/** `count` values of `bytes` B, unique to this call and index: `r<round>:<index>:vvv…`. */
function makeValues(count, bytes) {
  const round = ++roundNumber;
  const values = new Array(count);
  for (let index = 0; index < count; index++) {
    const prefix = `r${round}:${index}:`;
    // A longer value would change the workload, not just the check.
    if (prefix.length > bytes) throw new Error(`bench: ${prefix} does not fit in ${bytes} B`);
    values[index] = prefix.padEnd(bytes, 'v');
  }
  return values;
}

/**
 * Call last before a clock starts: a full collection moves the values just made (and whatever
 * else the harness holds) out of the young generation, so that the timed window's scavenges do not
 * copy the harness's own data again and again, which every client would pay for. Not inside
 * the window: the collection runs before `started` is read.
 */
function offTheClock() {
  globalThis.gc?.();
}

const keyLists = new Map();

/** `<prefix>:0` … `<prefix>:<count - 1>`, made once and shared by every client and round. */
function makeKeys(prefix, count) {
  const name = `${prefix}/${count}`;
  let keys = keyLists.get(name);
  if (keys === undefined) {
    keys = Array.from({ length: count }, (_, index) => `${prefix}:${index}`);
    keyLists.set(name, keys);
  }
  return keys;
}

const isOk = () => 'OK';

/** A simple-string reply (SET's OK): the clients differ in its type, so compared as text. */
function textMatches(reply, expected) {
  return String(reply) === expected;
}

/** A bulk-string reply (GET's value): a Buffer for every client, else it counts as wrong. */
function bufferMatches(reply, expected) {
  return (
    Buffer.isBuffer(reply) &&
    reply.length === expected.length &&
    reply.toString('latin1') === expected
  );
}

/**
 * Counts the replies that are errors and those that do not match `expected(index)`; a missing
 * reply (undefined) is wrong.
 */
function tally(replies, expected, matches = textMatches) {
  let errors = 0;
  let wrong = 0;
  for (let index = 0; index < replies.length; index++) {
    const reply = replies[index];
    if (reply instanceof Error) errors++;
    else if (!matches(reply, expected(index))) wrong++;
  }
  return { errors, wrong };
}

function sum(...tallies) {
  let errors = 0;
  let wrong = 0;
  for (const each of tallies) {
    errors += each.errors;
    wrong += each.wrong;
  }
  return { errors, wrong };
}

/** The rejection reason as an Error, so that it counts as one. */
function asError(reason) {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/**
 * Promise.all, except that a rejection is a reply like any other: the rejected calls' errors
 * take their places, the rest are awaited. The happy path is Promise.all's.
 */
async function allReplies(calls) {
  try {
    return await Promise.all(calls);
  } catch {
    const outcomes = await Promise.allSettled(calls);
    return outcomes.map((outcome) =>
      outcome.status === 'fulfilled' ? outcome.value : asError(outcome.reason),
    );
  }
}

/**
 * Untimed, after the clock stops: GETs every key through the client and compares it with the
 * value this round set, so that a SET whose OK came without the value being stored counts.
 */
async function readBack(client, keys, values) {
  const replies = [];
  for (let start = 0; start < keys.length; start += readBackBatch) {
    const gets = [];
    for (let index = start; index < Math.min(keys.length, start + readBackBatch); index++)
      gets.push(client.get(keys[index]));
    replies.push(...(await allReplies(gets)));
  }
  return tally(replies, (index) => values[index], bufferMatches);
}

/** An explicit pipeline's replies as plain values (ioredis gives [error, reply] pairs). */
function pipelineReplies(replies) {
  return replies.map((reply) =>
    Array.isArray(reply) && reply.length === 2 && (reply[0] === null || reply[0] instanceof Error)
      ? (reply[0] ?? reply[1])
      : reply,
  );
}

/** Sequential round trips: await each SET. */
export async function sequential(client, count) {
  const keys = makeKeys('seq', count);
  const values = makeValues(count, smallValueBytes);
  const latencies = new Array(count);
  const replies = new Array(count);
  offTheClock();
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const before = performance.now();
    // A rejection is a reply that counts as an error; try/catch adds nothing to the happy path.
    try {
      replies[index] = await client.set(keys[index], values[index]);
    } catch (error) {
      replies[index] = asError(error);
    }
    latencies[index] = performance.now() - before;
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rate: count / seconds,
    ...sum(tally(replies, isOk), await readBack(client, keys, values)),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

/**
 * `count` SETs of 100 B then `count` GETs on one connection, `batch` calls at a time: each batch
 * is issued at once and awaited before the next (`batch` = `count`: all at once).
 */
export async function concurrent(client, count, batch = count) {
  const keys = makeKeys('con', count);
  const values = makeValues(count, concurrentValueBytes);
  const setReplies = new Array(count);
  const getReplies = new Array(count);
  offTheClock();
  const started = performance.now();
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(count, start + batch);
    const sets = new Array(end - start);
    for (let index = start; index < end; index++)
      sets[index - start] = client.set(keys[index], values[index]);
    const replies = await allReplies(sets);
    for (let index = start; index < end; index++) setReplies[index] = replies[index - start];
  }
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(count, start + batch);
    const gets = new Array(end - start);
    for (let index = start; index < end; index++) gets[index - start] = client.get(keys[index]);
    const replies = await allReplies(gets);
    for (let index = start; index < end; index++) getReplies[index] = replies[index - start];
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    rate: (2 * count) / seconds,
    ...sum(
      tally(setReplies, isOk),
      tally(getReplies, (index) => values[index], bufferMatches),
    ),
  };
}

/**
 * The heap held per command in flight: after `count` SETs are issued and before any is awaited.
 * Its own untimed pass, since measuring it forces a collection. Resolves to the bytes per
 * command, with the SETs' wrong replies and errors.
 */
export async function heapPerCommandInFlight(client, count) {
  const keys = makeKeys('con', count);
  const values = makeValues(count, concurrentValueBytes);
  await settle();
  const before = memory();
  const sets = new Array(count);
  for (let index = 0; index < count; index++) sets[index] = client.set(keys[index], values[index]);
  const inFlight = memory();
  const replies = await allReplies(sets);
  return {
    bytesPerCommand: ((inFlight.heapMiB - before.heapMiB) * 2 ** 20) / count,
    ...tally(replies, isOk),
  };
}

/**
 * An explicit pipeline: `total` SETs in batches of `batch`, each batch awaited. The batches are
 * made, in the form the client takes (`preparePipeline`), before the clock starts.
 */
export async function pipelined(client, total, batch) {
  const keys = makeKeys('pipe', total);
  const values = makeValues(total, smallValueBytes);
  const batches = [];
  for (let start = 0; start < total; start += batch) {
    const commands = [];
    for (let index = start; index < Math.min(total, start + batch); index++)
      commands.push(['SET', keys[index], values[index]]);
    batches.push(commands);
  }
  const prepared = batches.map((commands) => client.preparePipeline?.(commands) ?? commands);
  const outcomes = new Array(batches.length);
  offTheClock();
  const started = performance.now();
  for (let index = 0; index < batches.length; index++) {
    try {
      outcomes[index] = await client.pipeline(prepared[index]);
    } catch (error) {
      outcomes[index] = asError(error);
    }
  }
  const rate = total / ((performance.now() - started) / 1000);
  const tallies = [];
  for (let index = 0; index < batches.length; index++) {
    const commands = batches[index];
    const outcome = outcomes[index];
    if (outcome instanceof Error) {
      tallies.push({ errors: commands.length, wrong: 0 });
      continue;
    }
    // Not an array (GLIDE's exec can resolve to null): no replies, every command's is missing.
    const replies = Array.isArray(outcome) ? pipelineReplies(outcome) : [];
    // One reply per command: a missing one is wrong (undefined), so is each extra one.
    const aligned = commands.map((_, at) => replies[at]);
    tallies.push(tally(aligned, isOk));
    tallies.push({ errors: 0, wrong: Math.max(0, replies.length - commands.length) });
  }
  return { rate, ...sum(...tallies, await readBack(client, keys, values)) };
}

/**
 * 1 MiB values: SET then GET, `count` of each, sequentially, over 4 keys. The rate is over the
 * pairs' own time; each GET is compared byte for byte with its value between pairs, off the clock.
 */
export async function largeValues(client, count) {
  const keys = makeKeys('large', 4);
  // A round- and key-unique head on 1 MiB of filler.
  const values = makeValues(keys.length, 32).map((head) => {
    const value = Buffer.alloc(largeValueBytes, 'v');
    value.write(head, 'latin1');
    return value;
  });
  let errors = 0;
  let wrong = 0;
  let timedMs = 0;
  const latencies = new Array(count);
  for (let index = 0; index < count; index++) {
    const key = keys[index % keys.length];
    const value = values[index % keys.length];
    let received;
    const before = performance.now();
    try {
      await client.set(key, value);
      received = await client.get(key);
    } catch (error) {
      received = asError(error);
    }
    latencies[index] = performance.now() - before;
    timedMs += latencies[index];
    if (received instanceof Error) errors++;
    else if (!(Buffer.isBuffer(received) && received.equals(value))) wrong++;
  }
  latencies.sort((a, b) => a - b);
  return {
    rate: (2 * count) / (timedMs / 1000),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    errors,
    wrong,
  };
}

/**
 * The pool scenario's contenders: 50 workers doing SET then GET pairs. `pair(key, value)`
 * resolves to the GET's reply, a Buffer for every contender.
 */
export async function poolContenders(port, size) {
  const url = `redis://127.0.0.1:${port}`;
  const pool = new Pool({ dial: () => dial(url), maxActive: size, maxIdle: size, wait: true });
  const shared = await dial(url);
  const ioredis = new Redis({ port, host: '127.0.0.1', enableAutoPipelining: true });
  const nodePool = await createClientPool(
    { url, commandOptions: nodeRedisCommandOptions },
    { minimum: size, maximum: size },
  ).connect();
  const nodePoolBuffers = nodePool.withTypeMapping(nodeRedisBuffers);
  const iovalkey = new Valkey({ port, host: '127.0.0.1', enableAutoPipelining: true });
  const glide = loadGlide();
  const glideClient = glide ? await connectGlide(glide, port, 1_000) : undefined;
  const bytes = glide ? { decoder: glide.Decoder.Bytes } : undefined;
  const glideContenders = glideClient
    ? [
        {
          name: `Valkey GLIDE ${glide.version} (one client)`,
          pair: async (key, value) => {
            await glideClient.set(key, value);
            return glideClient.get(key, bytes);
          },
          close: async () => glideClient.close(),
        },
      ]
    : [];
  return [
    {
      name: `@x/pool (maxActive ${size})`,
      pair: (key, value) =>
        pool.use(async (conn) => {
          await conn.do('SET', key, value);
          return conn.do('GET', key);
        }),
      close: () => pool.close(),
    },
    {
      name: '@x/conn (one shared connection)',
      pair: async (key, value) => {
        await shared.do('SET', key, value);
        return shared.do('GET', key);
      },
      close: () => shared.close(),
    },
    {
      name: 'ioredis (one client, auto-pipelining)',
      pair: async (key, value) => {
        await ioredis.set(key, value);
        return ioredis.getBuffer(key);
      },
      close: async () => ioredis.disconnect(),
    },
    {
      name: `node-redis createClientPool (${size})`,
      pair: async (key, value) => {
        await nodePoolBuffers.set(key, value);
        return nodePoolBuffers.get(key);
      },
      close: () => nodePool.close(),
    },
    {
      name: 'iovalkey (one client, auto-pipelining)',
      pair: async (key, value) => {
        await iovalkey.set(key, value);
        return iovalkey.getBuffer(key);
      },
      close: async () => iovalkey.disconnect(),
    },
    ...glideContenders,
  ];
}

/**
 * `count` concurrent workers, each doing `perWorker` SET+GET pairs over 100 keys of its own; each
 * GET must return the value its worker just set there.
 */
export async function workers(contender, count, perWorker) {
  const keys = Array.from({ length: count }, (_, worker) => makeKeys(`w${worker}`, 100));
  // Worker w's pair i sets values[w * perWorker + i].
  const values = makeValues(count * perWorker, smallValueBytes);
  const latencies = new Array(count * perWorker);
  const replies = new Array(count * perWorker);
  offTheClock();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, worker) => {
      const ownKeys = keys[worker];
      for (let index = 0; index < perWorker; index++) {
        const at = worker * perWorker + index;
        const before = performance.now();
        try {
          replies[at] = await contender.pair(ownKeys[index % ownKeys.length], values[at]);
        } catch (error) {
          replies[at] = asError(error);
        }
        latencies[at] = performance.now() - before;
      }
    }),
  );
  const rate = (count * perWorker * 2) / ((performance.now() - started) / 1000);
  latencies.sort((a, b) => a - b);
  return {
    rate,
    ...tally(replies, (at) => values[at], bufferMatches),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

/**
 * Where a subscriber puts the first `expected` messages it receives, in arrival order (checked
 * after the clock stops); `delivered` resolves when that many have arrived.
 */
function inbox(expected) {
  const box = {
    channels: new Array(expected),
    payloads: new Array(expected),
    received: 0,
    errors: 0,
    delivered: undefined,
    arrived: undefined,
    record(channel, payload) {
      if (box.received < expected) {
        box.channels[box.received] = channel;
        box.payloads[box.received] = payload;
      }
      if (++box.received === expected) box.arrived();
    },
  };
  box.delivered = new Promise((resolve) => {
    box.arrived = resolve;
  });
  return box;
}

/** An ioredis-like subscriber (ioredis, iovalkey): payloads as Buffers ('messageBuffer'). */
function ioredisLikeSubscriber(name, Client, port) {
  return {
    name,
    start: async (channel, expected) => {
      const box = inbox(expected);
      const subscriber = new Client({ port, host: '127.0.0.1' });
      subscriber.on('error', () => box.errors++);
      await subscriber.subscribe(channel);
      subscriber.on('messageBuffer', (from, payload) => box.record(from, payload));
      return { box, close: async () => subscriber.disconnect() };
    },
  };
}

/**
 * Subscribers, one per client. `start(channel, expected)` subscribes and resolves to the inbox
 * the messages arrive in and a `close` that the caller runs after the clock stops.
 */
export async function subscribers(port) {
  const url = `redis://127.0.0.1:${port}`;
  const glide = loadGlide();
  const glideSubscribers = glide
    ? [
        {
          name: `Valkey GLIDE ${glide.version}`,
          // GLIDE subscribes when it connects, to the channels its configuration names.
          start: async (channel, expected) => {
            const box = inbox(expected);
            const client = await glide.GlideClient.createClient({
              addresses: [{ host: '127.0.0.1', port }],
              defaultDecoder: glide.Decoder.Bytes,
              pubsubSubscriptions: {
                channelsAndPatterns: {
                  [glide.GlideClientConfiguration.PubSubChannelModes.Exact]: new Set([channel]),
                },
                callback: (message) => box.record(message.channel, message.message),
              },
            });
            return { box, close: async () => client.close() };
          },
        },
      ]
    : [];
  return [
    {
      name: '@x/pubsub',
      start: async (channel, expected) => {
        const box = inbox(expected);
        const psc = new PubSubConn(await dial(url));
        await psc.subscribe(channel);
        await psc.receive();
        let closing = false;
        (async () => {
          while (box.received < expected) {
            let event;
            try {
              event = await psc.receive();
            } catch {
              // close() ends a receive still waiting for a message that never came: not an error.
              if (!closing) box.errors++;
              return;
            }
            if (event.type === 'message') box.record(event.channel, event.data);
          }
        })();
        return {
          box,
          close: () => {
            closing = true;
            return psc.close();
          },
        };
      },
    },
    ioredisLikeSubscriber('ioredis', Redis, port),
    ioredisLikeSubscriber('iovalkey', Valkey, port),
    {
      name: 'node-redis',
      start: async (channel, expected) => {
        const box = inbox(expected);
        const subscriber = await createClient({
          url,
          commandOptions: nodeRedisCommandOptions,
        }).connect();
        subscriber.on('error', () => box.errors++);
        // true: the listener gets Buffers, as the others' do.
        await subscriber.subscribe(channel, (payload, from) => box.record(from, payload), true);
        return { box, close: () => subscriber.quit() };
      },
    },
    ...glideSubscribers,
  ];
}

// How long the messages may take to arrive after the last PUBLISH before the missing ones count.
const deliveryLimitMs = 30_000;

/** Resolves to true when `promise` settles within `ms`, else to false. */
async function within(promise, ms) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Until the server counts a subscriber on `channel` (GLIDE subscribes in the background). */
async function subscribed(publisher, channel) {
  for (let attempt = 0; attempt < 500; attempt++) {
    const [, subscriberCount] = await publisher.do('PUBSUB', 'NUMSUB', channel);
    if (Number(subscriberCount) >= 1) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`bench: no subscriber on ${channel} after 5 s`);
}

/**
 * Publishes `count` messages, each with a payload of its own, in pipelined batches; resolves to
 * messages/s delivered to `subscriber`, with the messages that arrived on another channel, with
 * another payload or out of order (wrong), missing ones (wrong) and errors.
 */
export async function pubsubThroughput(publisher, subscriber, count) {
  const channel = `bench:${Math.random().toString(36).slice(2)}`;
  const payloads = makeValues(count, smallValueBytes);
  const { box, close } = await subscriber.start(channel, count);
  await subscribed(publisher, channel);
  const publishReplies = [];
  offTheClock();
  const started = performance.now();
  for (let start = 0; start < count; start += 1_000) {
    const pipeline = publisher.pipeline();
    for (let index = start; index < Math.min(count, start + 1_000); index++)
      pipeline.send('PUBLISH', channel, payloads[index]);
    try {
      publishReplies.push(...(await pipeline.receiveAll()));
    } catch (error) {
      publishReplies.push(asError(error));
    }
  }
  await within(box.delivered, deliveryLimitMs);
  const seconds = (performance.now() - started) / 1000;
  await close();
  const arrived = Math.min(box.received, count);
  let wrong = Math.abs(box.received - count);
  for (let index = 0; index < arrived; index++)
    if (
      String(box.channels[index]) !== channel ||
      !bufferMatches(box.payloads[index], payloads[index])
    )
      wrong++;
  const publishErrors = publishReplies.filter((reply) => reply instanceof Error).length;
  return { rate: count / seconds, wrong, errors: box.errors + publishErrors };
}
