import { describe, expect, it } from 'vitest';
import { Script } from './script.js';

describe('Script', () => {
  it('computes the SHA-1 of the source once', () => {
    expect(new Script(0, 'return 1').hash).toBe('e0e1f9fabfc9d4800c877a703b823ac0578ff8db');
  });

  it('puts the key count before keys and arguments', () => {
    expect(new Script(2, '').args(['k1', 'k2', 'a'])).toEqual([2, 'k1', 'k2', 'a']);
    expect(new Script(-1, '').args([1, 'k1', 'a'])).toEqual([1, 'k1', 'a']);
    expect(() => new Script(-1, '').args([])).toThrow(/key count/);
    expect(() => new Script(1.5, '')).toThrow(TypeError);
  });
});
