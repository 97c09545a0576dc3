/** A workspace package: its directory and its package.json. */
export interface WorkspacePackage {
  dir: string;
  manifest: { name: string; private?: boolean; dependencies?: Record<string, string> };
}
/** The repository root. */
export const root: string;
/** Every workspace package under packages/ that is not private. */
export function publicPackages(): WorkspacePackage[];
/** Packs one package directory with `pnpm pack` into `destination`; returns the tarball's path. */
export function pack(dir: string, destination: string): string;
/** The package and every workspace package it depends on at run time, transitively. */
export function workspaceClosure(
  packages: WorkspacePackage[],
  name: string,
  seen?: Set<string>,
): Set<string>;
