// `Symbol.asyncDispose` exists at run time on every Node this package supports (20.19 and later),
// and `await using` calls it. TypeScript's `esnext.disposable` lib and newer @types/node declare
// it; @types/node 20.0 with an ES2022 lib does not, so it is declared here for the emitted types
// to compile there too. Identical declarations merge.
declare global {
  interface SymbolConstructor {
    /** The method `await using` calls when its block ends. */
    readonly asyncDispose: unique symbol;
  }
}

/** A Conn that `await using` closes: `close()` runs when the block ends. */
export interface AsyncDisposableConn {
  /** Runs `close()`. */
  [Symbol.asyncDispose](): Promise<void>;
}
