// The client scenarios of apps/bench. Each runs one client and resolves to its measurements.
import { dial } from '@x/conn';
import { Pool } from '@x/pool';
import { PubSubConn } from '@x/pubsub';
import { Redis } from 'ioredis';
import { Valkey } from 'iovalkey';
import { createClient, createClientPool } from 'redis';
import { connectGlide, loadGlide } from './glide.mjs';
import { memory, percentile } from './measure.mjs';

const value16 = 'x'.repeat(16);
/**
 * node-redis fails a command after 5 s by default: 100,000 calls issued at once on a busy machine
 * pass that, so it gets 60 s, as GLIDE does (see glide.mjs); errors are counted, never ignored.
 */
export const nodeRedisCommandOptions = { timeout: 60_000 };
// The workload for the concurrent scenarios: 100 B values.
const value100 = 'v'.repeat(100);

/** Replies that are not what the command returns: counted after the clock stops, never ignored. */
function wrongReplies(replies, expected) {
  let wrong = 0;
  for (const reply of replies) if (String(reply) !== expected) wrong++;
  return wrong;
}

/**
 * Promise.all, except that a rejection is a reply like any other: the rejected calls' errors
 * take their places (and count as wrong), the rest are awaited. The happy path is Promise.all's.
 */
async function allReplies(calls) {
  try {
    return await Promise.all(calls);
  } catch {
    const outcomes = await Promise.allSettled(calls);
    return outcomes.map((outcome) =>
      outcome.status === 'fulfilled' ? outcome.value : outcome.reason,
    );
  }
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
  const latencies = new Array(count);
  const replies = new Array(count);
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const before = performance.now();
    // A rejection is a reply that counts as wrong; try/catch adds nothing to the happy path.
    try {
      replies[index] = await client.set(`seq:${index}`, value16);
    } catch (error) {
      replies[index] = error;
    }
    latencies[index] = performance.now() - before;
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rate: count / seconds,
    wrong: wrongReplies(replies, 'OK'),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

/**
 * `count` SETs of 100 B then `count` GETs on one connection, `batch` calls at a time: each batch
 * is issued at once and awaited before the next (`batch` = `count`: all at once).
 */
export async function concurrent(client, count, batch = count) {
  const setReplies = new Array(count);
  const getReplies = new Array(count);
  const started = performance.now();
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(count, start + batch);
    const sets = new Array(end - start);
    for (let index = start; index < end; index++)
      sets[index - start] = client.set(`con:${index}`, value100);
    const replies = await allReplies(sets);
    for (let index = start; index < end; index++) setReplies[index] = replies[index - start];
  }
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(count, start + batch);
    const gets = new Array(end - start);
    for (let index = start; index < end; index++) gets[index - start] = client.get(`con:${index}`);
    const replies = await allReplies(gets);
    for (let index = start; index < end; index++) getReplies[index] = replies[index - start];
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    rate: (2 * count) / seconds,
    wrong: wrongReplies(setReplies, 'OK') + wrongReplies(getReplies, value100),
  };
}

/**
 * The heap held per command in flight: after `count` SETs are issued and before any is awaited.
 * Its own untimed pass, since measuring it forces a collection.
 */
export async function heapPerCommandInFlight(client, count) {
  const before = memory();
  const sets = new Array(count);
  for (let index = 0; index < count; index++) sets[index] = client.set(`con:${index}`, value100);
  const inFlight = memory();
  await allReplies(sets);
  return ((inFlight.heapMiB - before.heapMiB) * 2 ** 20) / count;
}

/** An explicit pipeline: `total` SETs in batches of `batch`, each batch awaited. */
export async function pipelined(client, total, batch) {
  const batches = [];
  const started = performance.now();
  for (let start = 0; start < total; start += batch) {
    const commands = [];
    for (let index = start; index < start + batch; index++)
      commands.push(['SET', `pipe:${index}`, value16]);
    try {
      batches.push(await client.pipeline(commands));
    } catch (error) {
      batches.push(commands.map(() => error));
    }
  }
  const rate = total / ((performance.now() - started) / 1000);
  return { rate, wrong: wrongReplies(batches.flatMap(pipelineReplies), 'OK') };
}

/** 1 MiB values: SET then GET, `count` of each, sequentially. */
export async function largeValues(client, count) {
  const value = Buffer.alloc(1024 * 1024, 'v');
  let wrong = 0;
  const latencies = [];
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const before = performance.now();
    try {
      await client.set(`large:${index % 4}`, value);
      const received = await client.get(`large:${index % 4}`);
      if (received.length !== value.length) wrong++;
    } catch {
      wrong++;
    }
    latencies.push(performance.now() - before);
  }
  latencies.sort((a, b) => a - b);
  return {
    rate: (2 * count) / ((performance.now() - started) / 1000),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    wrong,
  };
}

/** The pool scenario's contenders: 50 workers doing SET then GET pairs. */
export async function poolContenders(port, size) {
  const url = `redis://127.0.0.1:${port}`;
  const pool = new Pool({ dial: () => dial(url), maxActive: size, maxIdle: size, wait: true });
  const shared = await dial(url);
  const ioredis = new Redis({ port, host: '127.0.0.1', enableAutoPipelining: true });
  const nodePool = await createClientPool(
    { url, commandOptions: nodeRedisCommandOptions },
    { minimum: size, maximum: size },
  ).connect();
  const iovalkey = new Valkey({ port, host: '127.0.0.1', enableAutoPipelining: true });
  const glide = loadGlide();
  const glideClient = glide ? await connectGlide(glide, port, 1_000) : undefined;
  const bytes = glide ? { decoder: glide.Decoder.Bytes } : undefined;
  const glideContenders = glideClient
    ? [
        {
          name: `Valkey GLIDE ${glide.version} (one client)`,
          pair: async (key) => {
            await glideClient.set(key, value16);
            return glideClient.get(key, bytes);
          },
          close: async () => glideClient.close(),
        },
      ]
    : [];
  return [
    {
      name: `@x/pool (maxActive ${size})`,
      pair: (key) =>
        pool.use(async (conn) => {
          await conn.do('SET', key, value16);
          return conn.do('GET', key);
        }),
      close: () => pool.close(),
    },
    {
      name: '@x/conn (one shared connection)',
      pair: async (key) => {
        await shared.do('SET', key, value16);
        return shared.do('GET', key);
      },
      close: () => shared.close(),
    },
    {
      name: 'ioredis (one client, auto-pipelining)',
      pair: async (key) => {
        await ioredis.set(key, value16);
        return ioredis.get(key);
      },
      close: async () => ioredis.disconnect(),
    },
    {
      name: `node-redis createClientPool (${size})`,
      pair: async (key) => {
        await nodePool.set(key, value16);
        return nodePool.get(key);
      },
      close: () => nodePool.close(),
    },
    {
      name: 'iovalkey (one client, auto-pipelining)',
      pair: async (key) => {
        await iovalkey.set(key, value16);
        return iovalkey.getBuffer(key);
      },
      close: async () => iovalkey.disconnect(),
    },
    ...glideContenders,
  ];
}

/** 50 concurrent workers, each doing `perWorker` SET+GET pairs. */
export async function workers(contender, count, perWorker) {
  const latencies = [];
  const replies = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, worker) => {
      for (let index = 0; index < perWorker; index++) {
        const before = performance.now();
        try {
          replies.push(await contender.pair(`w${worker}:${index % 100}`));
        } catch (error) {
          replies.push(error);
        }
        latencies.push(performance.now() - before);
      }
    }),
  );
  const rate = (count * perWorker * 2) / ((performance.now() - started) / 1000);
  latencies.sort((a, b) => a - b);
  return {
    rate,
    wrong: wrongReplies(replies, value16),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

/** Subscribers, one per client, each resolving when it has counted `expected` messages. */
export async function subscribers(port) {
  const url = `redis://127.0.0.1:${port}`;
  return [
    {
      name: '@x/pubsub',
      start: async (channel, expected) => {
        const psc = new PubSubConn(await dial(url));
        await psc.subscribe(channel);
        await psc.receive();
        return {
          done: (async () => {
            for (let received = 0; received < expected; )
              if ((await psc.receive()).type === 'message') received++;
            await psc.close();
          })(),
        };
      },
    },
    {
      name: 'ioredis',
      start: async (channel, expected) => {
        const subscriber = new Redis({ port, host: '127.0.0.1' });
        await subscriber.subscribe(channel);
        let received = 0;
        return {
          done: new Promise((resolve) => {
            subscriber.on('messageBuffer', () => {
              if (++received === expected) {
                subscriber.disconnect();
                resolve();
              }
            });
          }),
        };
      },
    },
    {
      name: 'node-redis',
      start: async (channel, expected) => {
        const subscriber = await createClient({ url }).connect();
        let received = 0;
        let finish;
        const done = new Promise((resolve) => {
          finish = resolve;
        });
        await subscriber.subscribe(
          channel,
          () => {
            if (++received === expected) finish();
          },
          true,
        );
        return { done: done.then(() => subscriber.quit()) };
      },
    },
  ];
}

/** Publishes `count` messages in pipelined batches; resolves to messages/s delivered to `subscriber`. */
export async function pubsubThroughput(publisher, subscriber, count) {
  const channel = `bench:${Math.random().toString(36).slice(2)}`;
  const { done } = await subscriber.start(channel, count);
  const started = performance.now();
  for (let start = 0; start < count; start += 1_000) {
    const pipeline = publisher.pipeline();
    for (let index = start; index < Math.min(count, start + 1_000); index++)
      pipeline.send('PUBLISH', channel, value16);
    await pipeline.receiveAll();
  }
  await done;
  return { rate: count / ((performance.now() - started) / 1000) };
}
