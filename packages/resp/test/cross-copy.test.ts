import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The two builds a package manager can load side by side in one process: a CommonJS consumer gets
// dist/index.cjs, an ES module consumer dist/index.js. Each has its own classes.
const cjsPath = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));
const esmPath = fileURLToPath(new URL('../dist/index.js', import.meta.url));

type RespModule = typeof import('../src/index.js');

async function loadBothCopies(): Promise<{ cjs: RespModule; esm: RespModule }> {
  for (const built of [cjsPath, esmPath])
    if (!existsSync(built)) throw new Error(`${built} is missing: run pnpm build first`);
  const cjs = createRequire(import.meta.url)(cjsPath) as RespModule;
  const esm = (await import(/* @vite-ignore */ esmPath)) as RespModule;
  return { cjs, esm };
}

describe('errors across the CommonJS and ES module copies', () => {
  it('are two copies with classes of their own', async () => {
    const { cjs, esm } = await loadBothCopies();
    expect(cjs.ReplyError).not.toBe(esm.ReplyError);
  });

  it.each(['cjs', 'esm'] as const)(
    'an error from the %s copy is an instance in the other',
    async (from) => {
      const copies = await loadBothCopies();
      const maker = copies[from];
      const other = copies[from === 'cjs' ? 'esm' : 'cjs'];
      const reply = new maker.ReplyError('WRONGTYPE Operation against a key');
      const protocol = new maker.ProtocolError('bad byte', 3);
      const base = new maker.RedisError('base', 'ERR_BASE');

      expect(reply instanceof other.ReplyError).toBe(true);
      expect(reply instanceof other.RedisError).toBe(true);
      expect(reply instanceof other.ProtocolError).toBe(false);
      expect(protocol instanceof other.ProtocolError).toBe(true);
      expect(protocol instanceof other.ReplyError).toBe(false);
      expect(base instanceof other.RedisError).toBe(true);
      expect(base instanceof other.ReplyError).toBe(false);
      expect(other.ReplyError.is(reply)).toBe(true);
      expect(other.RedisError.is(protocol)).toBe(true);
      expect(other.ProtocolError.is(reply)).toBe(false);
    },
  );

  it('leaves instanceof of a subclass without an is() of its own to the prototype chain', async () => {
    const { cjs, esm } = await loadBothCopies();
    class CustomError extends esm.RedisError {}
    expect(new CustomError('custom', 'ERR_CUSTOM') instanceof CustomError).toBe(true);
    expect(new esm.RedisError('base', 'ERR_BASE') instanceof CustomError).toBe(false);
    expect(new cjs.ReplyError('ERR x') instanceof CustomError).toBe(false);
    expect(new CustomError('custom', 'ERR_CUSTOM') instanceof cjs.RedisError).toBe(true);
  });

  it('lets a subclass declare an is() of its own, even one that uses instanceof', async () => {
    const { cjs, esm } = await loadBothCopies();
    class WithIs extends esm.ReplyError {
      static override is(value: unknown): value is WithIs {
        return value instanceof WithIs;
      }
    }
    class OtherMeaning extends esm.ReplyError {
      static override is(value: unknown): value is OtherMeaning {
        return value === 'X';
      }
    }
    expect(new WithIs('ERR x') instanceof WithIs).toBe(true);
    expect(new esm.ReplyError('ERR x') instanceof WithIs).toBe(false);
    expect(new cjs.ReplyError('ERR x') instanceof WithIs).toBe(false);
    expect(new OtherMeaning('ERR x') instanceof OtherMeaning).toBe(true);
    expect(('X' as unknown) instanceof OtherMeaning).toBe(false);
  });

  it('says false for values that are no error', async () => {
    const { esm } = await loadBothCopies();
    for (const value of [null, undefined, 'ERR x', 42, {}, new Error('ERR x')]) {
      expect(value instanceof esm.RedisError).toBe(false);
      expect(value instanceof esm.ReplyError).toBe(false);
    }
  });
});
