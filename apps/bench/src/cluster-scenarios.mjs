// The scenarios of `pnpm --filter @x/bench cluster`. Each runs one contender once and resolves
// to { rate, wrong, errors, ... }. Values are made before the clock starts and differ from round
// to round, so a GET that returns an older round's value counts as wrong; replies are checked
// after the clock stops; a rejected call counts as an error, never as a reply.
import { percentile } from './measure.mjs';

const valueBytes = 100;
let roundNumber = 0;

/** `count` keys spread over every slot (no hash tags). */
export function makeKeys(count) {
  return Array.from({ length: count }, (_, index) => `cb:${index}`);
}

/** One 100 B value per key, unique to this round: `r<round>:<index>:vvv…`. */
function makeValues(count) {
  const round = ++roundNumber;
  return Array.from({ length: count }, (_, index) => `r${round}:${index}:`.padEnd(valueBytes, 'v'));
}

/** Counts the settled replies that are errors, and those that are not what was expected. */
function check(settled, expected) {
  let errors = 0;
  let wrong = 0;
  let firstError;
  for (let index = 0; index < settled.length; index++) {
    const outcome = settled[index];
    const error =
      outcome.status === 'rejected'
        ? outcome.reason
        : outcome.value instanceof Error
          ? outcome.value
          : undefined;
    if (error !== undefined) {
      errors++;
      firstError ??= describe(error);
    } else if (String(outcome.value) !== expected(index)) wrong++;
  }
  return { errors, wrong, firstError };
}

/** An error's name, code and message, to print under the table. */
function describe(error) {
  if (!(error instanceof Error)) return String(error);
  const code = error.code === undefined ? '' : ` (${error.code})`;
  return `${error.name}${code}: ${error.message}`;
}

function sum(...checks) {
  return checks.reduce(
    (total, each) => ({
      errors: total.errors + each.errors,
      wrong: total.wrong + each.wrong,
      firstError: total.firstError ?? each.firstError,
    }),
    { errors: 0, wrong: 0, firstError: undefined },
  );
}

/**
 * SETs of every key, `batch` at a time (each batch awaited before the next), then GETs of every
 * key the same way; `batch` equal to the key count issues all of them at once.
 */
export async function setThenGet(contender, keys, batch) {
  const values = makeValues(keys.length);
  const setOutcomes = [];
  const getOutcomes = [];
  const started = performance.now();
  for (let start = 0; start < keys.length; start += batch) {
    const end = Math.min(keys.length, start + batch);
    const pending = new Array(end - start);
    for (let index = start; index < end; index++)
      pending[index - start] = contender.set(keys[index], values[index]);
    setOutcomes.push(await Promise.allSettled(pending));
  }
  for (let start = 0; start < keys.length; start += batch) {
    const end = Math.min(keys.length, start + batch);
    const pending = new Array(end - start);
    for (let index = start; index < end; index++)
      pending[index - start] = contender.get(keys[index]);
    getOutcomes.push(await Promise.allSettled(pending));
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    rate: (2 * keys.length) / seconds,
    ...sum(
      check(setOutcomes.flat(), () => 'OK'),
      check(getOutcomes.flat(), (index) => values[index]),
    ),
  };
}

/**
 * `count` batches of `size` commands, each awaited before the next: pairs of SET key then GET
 * key, the keys taken in turn from `keys` (so every batch spans every master). Rate in commands
 * per second over the whole round, and the time per batch. A batch the client refuses as a
 * whole counts `size` errors and makes `refused` its message.
 */
export async function pipelines(row, keys, count, size) {
  const pairs = size / 2;
  const values = makeValues(count * pairs);
  const batches = [];
  for (let batch = 0; batch < count; batch++) {
    const commands = new Array(size);
    for (let pair = 0; pair < pairs; pair++) {
      const at = batch * pairs + pair;
      const key = keys[at % keys.length];
      commands[2 * pair] = ['SET', key, values[at]];
      commands[2 * pair + 1] = ['GET', key];
    }
    batches.push(commands);
  }
  const latencies = new Array(count);
  const outcomes = new Array(count);
  const started = performance.now();
  for (let batch = 0; batch < count; batch++) {
    const before = performance.now();
    try {
      outcomes[batch] = { replies: await row.run(batches[batch]) };
    } catch (error) {
      outcomes[batch] = { error };
    }
    latencies[batch] = performance.now() - before;
  }
  const seconds = (performance.now() - started) / 1000;
  let errors = 0;
  let wrong = 0;
  let refused;
  let firstError;
  for (let batch = 0; batch < count; batch++) {
    const { replies, error } = outcomes[batch];
    if (error !== undefined) {
      errors += size;
      refused ??= error instanceof Error ? error.message : String(error);
      continue;
    }
    for (let index = 0; index < size; index++) {
      const reply = replies[index];
      const expected = index % 2 === 0 ? 'OK' : batches[batch][index - 1][2];
      if (reply instanceof Error) {
        errors++;
        firstError ??= describe(reply);
      } else if (String(reply) !== expected) wrong++;
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    rate: refused === undefined ? (count * size) / seconds : 0,
    errors,
    wrong,
    refused,
    firstError,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

/** GETs of `count` keys one at a time, each awaited: the round trip through the client. */
export async function sequentialGets(contender, keys, count) {
  const chosen = keys.slice(0, count);
  const values = makeValues(count);
  // Untimed: this round's values, so that every GET has something of its own to return.
  const seeded = await Promise.allSettled(
    chosen.map((key, index) => contender.set(key, values[index])),
  );
  const replies = new Array(count);
  const latencies = new Array(count);
  let errors = 0;
  let firstError;
  const started = performance.now();
  for (let index = 0; index < count; index++) {
    const before = performance.now();
    try {
      replies[index] = await contender.get(chosen[index]);
    } catch (error) {
      replies[index] = error;
      errors++;
      firstError ??= describe(error);
    }
    latencies[index] = performance.now() - before;
  }
  const seconds = (performance.now() - started) / 1000;
  const seeding = check(seeded, () => 'OK');
  errors += seeding.errors;
  firstError ??= seeding.firstError;
  let wrong = seeding.wrong;
  for (let index = 0; index < count; index++)
    if (!(replies[index] instanceof Error) && String(replies[index]) !== values[index]) wrong++;
  latencies.sort((a, b) => a - b);
  return {
    rate: count / seconds,
    errors,
    wrong,
    firstError,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}
