import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Runs the first TypeScript example of a README, so documentation cannot rot: the code block is
 * written next to the README with `replacements` applied (package names to source paths, the
 * default port to a test server's), imported, and removed again.
 */
export async function runReadmeExample(
  readmePath: string,
  replacements: [string | RegExp, string][],
): Promise<void> {
  const readme = readFileSync(readmePath, 'utf8');
  const match = /```ts\n([\s\S]*?)```/.exec(readme);
  if (match === null) throw new Error(`${readmePath} has no \`\`\`ts example`);
  let code = match[1]!;
  for (const [from, to] of replacements) code = code.replaceAll(from, to);
  const file = join(dirname(readmePath), `readme-example-${process.pid}-${Date.now()}.ts`);
  writeFileSync(file, code);
  try {
    await import(pathToFileURL(file).href);
  } finally {
    rmSync(file, { force: true });
  }
}
