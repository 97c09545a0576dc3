import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RedisError } from '@x/resp';
import { describe, expect, it } from 'vitest';
import { NilError, ReplyTypeError, strings } from '../src/index.js';
import { thrownBy } from './thrown-by.js';

// The built CommonJS and ES module copies of @x/reply and @x/resp in one process, as a consumer
// loads them. It runs in a child process: this test runner makes require() resolve to sources.
const bothCopies = `
import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/package.json');
const copies = { cjs: require('@x/reply'), esm: await import('@x/reply') };
const resp = { cjs: require('@x/resp'), esm: await import('@x/resp') };
const seen = {};
for (const [from, to] of [['cjs', 'esm'], ['esm', 'cjs']]) {
  let error;
  try { copies[from].strings(42); } catch (thrown) { error = thrown; }
  seen[from + ' -> ' + to] = {
    distinctClasses: copies[from].ReplyTypeError !== copies[to].ReplyTypeError,
    typeError: error instanceof TypeError,
    replyTypeError: error instanceof copies[to].ReplyTypeError,
    redisError: error instanceof resp[to].RedisError,
    is: copies[to].ReplyTypeError.is(error) && resp[to].RedisError.is(error),
  };
}
console.log(JSON.stringify(seen));
`;

describe('ReplyTypeError in the RedisError family', () => {
  it('is a RedisError with a stable code, and still a TypeError', () => {
    const error = thrownBy(() => strings(42));
    expect(error instanceof TypeError).toBe(true);
    expect(error instanceof RedisError).toBe(true);
    expect(RedisError.is(error)).toBe(true);
    expect(error instanceof ReplyTypeError).toBe(true);
    expect(ReplyTypeError.is(error)).toBe(true);
    expect(error instanceof NilError).toBe(false);
    expect((error as ReplyTypeError).code).toBe('ERR_REPLY_TYPE');
  });

  it('is recognised across the built CommonJS and ES module copies, both ways', () => {
    const child = spawnSync(process.execPath, ['--input-type=module', '--eval', bothCopies], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, NODE_OPTIONS: '' },
      encoding: 'utf8',
    });
    expect(child.stderr).toBe('');
    const every = {
      distinctClasses: true,
      typeError: true,
      replyTypeError: true,
      redisError: true,
      is: true,
    };
    expect(JSON.parse(child.stdout)).toEqual({ 'cjs -> esm': every, 'esm -> cjs': every });
  });

  it('a subclass a user declares keeps the ordinary instanceof', () => {
    class StrictTypeError extends ReplyTypeError {}
    expect(thrownBy(() => strings(42)) instanceof StrictTypeError).toBe(false);
    expect(new StrictTypeError('h', 'x', 1) instanceof ReplyTypeError).toBe(true);
  });
});
