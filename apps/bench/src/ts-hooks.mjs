// Module hooks that let a plain `node` (v20, which cannot strip types) import the TypeScript
// sources of @x/test-redis, a private package that is never built: `.ts` files are transpiled
// with the repository's own `typescript` (types dropped, nothing checked), and a relative
// `./x.js` import from a `.ts` file finds `./x.ts` as tsc's `nodenext` resolution does.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export async function resolve(specifier, context, nextResolve) {
  const fromTypeScript = context.parentURL?.endsWith('.ts') === true;
  if (fromTypeScript && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const candidate = new URL(specifier, context.parentURL);
    if (!existsSync(candidate)) {
      const typescript = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
      if (existsSync(typescript)) return { url: typescript.href, shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const source = readFileSync(fileURLToPath(url), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: fileURLToPath(url),
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      sourceMap: false,
      inlineSourceMap: true,
    },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
