// The workload of the overhead scripts: one client's CPU cost per command, not the network's.

/**
 * Issues `count` SETs of `value` at once, then `count` GETs at once, on `target` (anything with
 * `do`), checks every reply, and resolves to the commands per second.
 */
export async function setThenGet(target, count, value) {
  const started = performance.now();
  const sets = [];
  for (let index = 0; index < count; index++) sets.push(target.do('SET', `k:${index}`, value));
  await Promise.all(sets);
  const gets = [];
  for (let index = 0; index < count; index++) gets.push(target.do('GET', `k:${index}`));
  const replies = await Promise.all(gets);
  if (replies.some((reply) => reply.length !== value.length)) throw new Error('a wrong reply');
  return (2 * count) / ((performance.now() - started) / 1000);
}
