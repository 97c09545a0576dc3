/** CodeBlock is one fenced TypeScript or JavaScript block of a README. */
export interface CodeBlock {
  /** `ts` or `js`, from the fence. */
  readonly language: 'ts' | 'js';
  /** The 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
  /** The reason given by a `<!-- not-run: reason -->` comment right before the fence, if any. */
  readonly notRun: string | undefined;
}

/** ReadmeExamples is what a README asks a reader to install, and the code it shows them. */
export interface ReadmeExamples {
  /** The `@x/...` packages named on the README's `npm install` lines, in order, once each. */
  readonly installs: string[];
  readonly blocks: CodeBlock[];
}

const fence = /^```(\w*)\s*$/;
const notRunMark = /^<!--\s*not-run:\s*(.+?)\s*-->$/;
const installLine = /\bnpm (?:install|i)\s+(.+)$/;

/** Reads the code blocks and the install line of a README. */
export function readReadmeExamples(markdown: string): ReadmeExamples {
  const lines = markdown.split('\n');
  const installs: string[] = [];
  const blocks: CodeBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = fence.exec(lines[index]!);
    if (open === null) continue;
    const language = open[1]!;
    const start = index;
    const body: string[] = [];
    for (index++; index < lines.length && lines[index]!.trim() !== '```'; index++) {
      body.push(lines[index]!);
    }
    if (index === lines.length) throw new Error(`line ${start + 1}: a code fence is never closed`);
    if (language === 'sh' || language === 'bash' || language === 'shell') {
      for (const command of body) {
        const words = installLine.exec(command.replace(/#.*$/, ''))?.[1]?.split(/\s+/) ?? [];
        for (const word of words) {
          if (word.startsWith('@x/') && !installs.includes(word)) installs.push(word);
        }
      }
    }
    if (language !== 'ts' && language !== 'js') continue;
    blocks.push({
      language,
      line: start + 1,
      code: `${body.join('\n')}\n`,
      notRun: notRunMark.exec(previousText(lines, start))?.[1],
    });
  }
  return { installs, blocks };
}

function previousText(lines: string[], index: number): string {
  for (let before = index - 1; before >= 0; before--) {
    const text = lines[before]!.trim();
    if (text !== '') return text;
  }
  return '';
}

/** The sentinel ports README blocks use, in order: each stands for one test sentinel. */
export const readmeSentinelPorts = [26379, 26380, 26381];

/** The cluster ports README blocks use, in order: each stands for one master of a test cluster. */
export const readmeClusterPorts = [7000, 7001, 7002];

/**
 * Points a block at test servers: every `6379` (the default port) becomes `port`, the sentinel
 * ports 26379, 26380 and 26381 become those of `sentinelPorts`, and the cluster ports 7000, 7001
 * and 7002 those of `clusterPorts`, in order.
 */
export function useTestPort(
  code: string,
  port: number,
  sentinelPorts: number[] = [],
  clusterPorts: number[] = [],
): string {
  let pointed = code.replace(/\b6379\b/g, String(port));
  const replace = (readmePorts: number[], testPorts: number[]) =>
    readmePorts.forEach((readmePort, index) => {
      const testPort = testPorts[index];
      if (testPort !== undefined)
        pointed = pointed.replace(new RegExp(`\\b${readmePort}\\b`, 'g'), String(testPort));
    });
  replace(readmeSentinelPorts, sentinelPorts);
  replace(readmeClusterPorts, clusterPorts);
  return pointed;
}

/** Reports whether a block talks to sentinels (names one of their ports). */
export function usesSentinels(code: string): boolean {
  return readmeSentinelPorts.some((port) => new RegExp(`\\b${port}\\b`).test(code));
}

/** Reports whether a block talks to a cluster (names one of its ports). */
export function usesCluster(code: string): boolean {
  return readmeClusterPorts.some((port) => new RegExp(`\\b${port}\\b`).test(code));
}
