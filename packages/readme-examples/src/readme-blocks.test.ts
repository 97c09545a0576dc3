import { describe, expect, it } from 'vitest';
import { readReadmeExamples, usesCluster, usesSentinels, useTestPort } from './readme-blocks.js';

const readme = [
  '# @x/thing',
  '',
  '```sh',
  'npm install @x/thing @x/conn   # both',
  'npm install -g pnpm@10',
  '```',
  '',
  '```ts',
  "import { dial } from '@x/conn';",
  '```',
  '',
  '<!-- not-run: a type signature -->',
  '',
  '```ts',
  'type T = string;',
  '```',
  '',
  '```js',
  'console.log(1);',
  '```',
  '',
  '```json',
  '{}',
  '```',
].join('\n');

describe('readReadmeExamples', () => {
  it('reads the @x packages of the install lines', () => {
    expect(readReadmeExamples(readme).installs).toEqual(['@x/thing', '@x/conn']);
  });

  it('reads ts and js blocks with their lines and not-run marks', () => {
    expect(readReadmeExamples(readme).blocks).toEqual([
      {
        language: 'ts',
        line: 8,
        code: "import { dial } from '@x/conn';\n",
        notRun: undefined,
      },
      { language: 'ts', line: 14, code: 'type T = string;\n', notRun: 'a type signature' },
      { language: 'js', line: 18, code: 'console.log(1);\n', notRun: undefined },
    ]);
  });

  it('refuses a fence that is never closed', () => {
    expect(() => readReadmeExamples('```ts\nlet open = 1;\n')).toThrow(/line 1/);
  });
});

describe('useTestPort', () => {
  it.each([
    ["dial('redis://127.0.0.1:6379')", "dial('redis://127.0.0.1:40001')"],
    ["connect(6379, '127.0.0.1')", "connect(40001, '127.0.0.1')"],
    ['{ port: 6379 }', '{ port: 40001 }'],
    ['63790', '63790'],
  ])('%s', (code, expected) => {
    expect(useTestPort(code, 40001)).toBe(expected);
  });

  it('points sentinel ports at test sentinels, in order', () => {
    expect(
      useTestPort(
        "['127.0.0.1:26379', '127.0.0.1:26380', '127.0.0.1:26381'], 6379",
        40001,
        [41001, 41002, 41003],
      ),
    ).toBe("['127.0.0.1:41001', '127.0.0.1:41002', '127.0.0.1:41003'], 40001");
    expect(usesSentinels("sentinels: ['127.0.0.1:26379']")).toBe(true);
    expect(usesSentinels('port: 263790')).toBe(false);
  });

  it('points cluster ports at test masters, in order', () => {
    expect(
      useTestPort("seeds: ['redis://127.0.0.1:7000', '127.0.0.1:7002']", 1, [], [41, 42, 43]),
    ).toBe("seeds: ['redis://127.0.0.1:41', '127.0.0.1:43']");
    expect(usesCluster("seeds: ['redis://127.0.0.1:7000']")).toBe(true);
    expect(usesCluster('timeoutMs: 70000')).toBe(false);
  });
});
