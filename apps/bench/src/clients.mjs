// One adapter per client, so every scenario runs the same code against each.
import { createClient as createXClient } from '@x/client';
import { dial } from '@x/conn';
import { Redis } from 'ioredis';
import { Valkey } from 'iovalkey';
import { createClient } from 'redis';
import { connectGlide, glideAdapter, loadGlide } from './glide.mjs';
import { nodeRedisBuffers, nodeRedisCommandOptions } from './scenarios.mjs';

/**
 * Connects every client to 127.0.0.1:port; each adapter has set, get (a Buffer), pipeline, close
 * and, when the client takes commands in a form of its own, preparePipeline, which the scenario
 * calls before the clock starts. `inFlight` is the most commands a scenario issues at once (GLIDE
 * must be told).
 */
export async function connectClients(port, { inFlight = 1_000 } = {}) {
  const url = `redis://127.0.0.1:${port}`;
  const ours = await dial(url);
  // The reconnecting client over the same kind of connection: what reconnection costs per call.
  const oursReconnecting = createXClient(url);
  await oursReconnecting.do('PING');
  const ioredis = new Redis({ port, host: '127.0.0.1' });
  const ioredisAuto = new Redis({ port, host: '127.0.0.1', enableAutoPipelining: true });
  const nodeRedis = await createClient({ url, commandOptions: nodeRedisCommandOptions }).connect();
  const nodeRedisBufferReplies = nodeRedis.withTypeMapping(nodeRedisBuffers);
  const iovalkeyAuto = new Valkey({ port, host: '127.0.0.1', enableAutoPipelining: true });
  await Promise.all([ioredis.ping(), ioredisAuto.ping(), iovalkeyAuto.ping()]);
  const baseline = await baselineClient(url);
  const glide = loadGlide();
  const glideClients = glide
    ? [glideAdapter(glide, await connectGlide(glide, port, inFlight))]
    : [];
  return [
    ...baseline,
    connAdapter('@x/conn', ours),
    connAdapter('@x/client', oursReconnecting),
    {
      name: 'ioredis',
      set: (key, value) => ioredis.set(key, value),
      get: (key) => ioredis.getBuffer(key),
      preparePipeline: lowerCaseNames,
      pipeline: (commands) => ioredis.pipeline(commands).exec(),
      close: async () => ioredis.disconnect(),
    },
    {
      name: 'ioredis (auto-pipelining)',
      set: (key, value) => ioredisAuto.set(key, value),
      get: (key) => ioredisAuto.getBuffer(key),
      preparePipeline: lowerCaseNames,
      pipeline: (commands) => ioredisAuto.pipeline(commands).exec(),
      close: async () => ioredisAuto.disconnect(),
    },
    {
      name: 'iovalkey (auto-pipelining)',
      set: (key, value) => iovalkeyAuto.set(key, value),
      get: (key) => iovalkeyAuto.getBuffer(key),
      preparePipeline: lowerCaseNames,
      pipeline: (commands) => iovalkeyAuto.pipeline(commands).exec(),
      close: async () => iovalkeyAuto.disconnect(),
    },
    {
      name: 'node-redis',
      set: (key, value) => nodeRedis.set(key, value),
      get: (key) => nodeRedisBufferReplies.get(key),
      pipeline: (commands) => {
        const multi = nodeRedis.multi();
        for (const command of commands) multi.addCommand(command);
        return multi.execAsPipeline();
      },
      close: () => nodeRedis.quit(),
    },
    ...glideClients,
  ];
}

/** ioredis and iovalkey take pipelined commands by their method names: `set`, not `SET`. */
function lowerCaseNames(commands) {
  return commands.map(([name, ...args]) => [name.toLowerCase(), ...args]);
}

/**
 * An earlier build of @x/conn, side by side with this one, when BENCH_CONN_BASELINE names its
 * dist/index.js (with its own @x/resp resolvable from there): an A/B of a change in one run.
 */
async function baselineClient(url) {
  const entry = process.env.BENCH_CONN_BASELINE;
  if (!entry) return [];
  const { dial: dialBaseline } = await import(entry);
  return [connAdapter('@x/conn (baseline)', await dialBaseline(url))];
}

/** The adapter of an @x/conn connection (this build's or the baseline's). */
function connAdapter(name, conn) {
  return {
    name,
    set: (key, value) => conn.do('SET', key, value),
    get: (key) => conn.do('GET', key),
    pipeline: async (commands) => {
      const pipeline = conn.pipeline();
      for (const command of commands) pipeline.send(...command);
      return pipeline.receiveAll();
    },
    close: () => conn.close(),
  };
}
