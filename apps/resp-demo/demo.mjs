// Round-trips a few commands through @x/resp against a real Redis: the codec alone is enough
// to speak to a server over a plain socket.
import { connect } from 'node:net';
import { Decoder, encodeCommand } from '@x/resp';
import { findRedis } from './find-redis.mjs';

let redis;
try {
  redis = await findRedis();
} catch (error) {
  console.error(`resp-demo: ${error.message}`);
  process.exit(1);
}

const socket = connect(redis.port, redis.host);
const waiting = [];
// Bulk strings as text: this demo prints replies. Binary-safe Buffers are the default.
const decoder = new Decoder({
  bulkStringsAs: 'string',
  onReply: (reply) => waiting.shift()(reply),
});
socket.on('data', (chunk) => decoder.write(chunk));
socket.on('error', (error) => {
  console.error(`resp-demo: ${error.message}`);
  process.exit(1);
});

/** Sends one command; resolves to its decoded reply. */
const call = (...command) =>
  new Promise((resolve) => {
    waiting.push(resolve);
    socket.write(encodeCommand(command));
  });

const key = `resp-demo:${process.pid}`;
const show = (command, reply) =>
  console.log(`${command.join(' ').padEnd(44)} -> ${JSON.stringify(reply, replacer)}`);
const replacer = (_key, value) =>
  value?.type === 'Buffer'
    ? Buffer.from(value.data).toString()
    : typeof value === 'bigint'
      ? `${value}n`
      : value;

console.log(`Talking RESP to Redis at ${redis.host}:${redis.port}\n`);
const hello = await call('HELLO', 3);
console.log(`HELLO 3 -> server ${hello.get('version')}, protocol ${hello.get('proto')}`);
for (const command of [
  ['SET', key, 'hello'],
  ['APPEND', key, ', world'],
  ['GET', key],
  ['ZADD', `${key}:z`, 1, 'a', 2.5, 'b'],
  ['ZRANGE', `${key}:z`, 0, -1, 'WITHSCORES'],
  ['HSET', `${key}:h`, 'field', 'value'],
  ['HGETALL', `${key}:h`],
  ['INCRBYFLOAT', `${key}:n`, 0.5],
  ['LPUSH', key, 'x'],
  ['DEL', key, `${key}:z`, `${key}:h`, `${key}:n`],
]) {
  const reply = await call(...command);
  show(
    command,
    reply instanceof Map
      ? Object.fromEntries(reply)
      : reply instanceof Error
        ? `(error) ${reply.message}`
        : reply,
  );
}

socket.end();
redis.stop();
