/**
 * Records unhandled promise rejections while a test runs: a rejection nobody handles would crash
 * a process that runs with Node's default --unhandled-rejections=throw.
 */
export function captureUnhandledRejections(): { stop(): Promise<unknown[]> } {
  const seen: unknown[] = [];
  const record = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', record);
  return {
    async stop() {
      // Node reports unhandled rejections after the microtask queue drains.
      await new Promise((resolve) => setTimeout(resolve, 50));
      process.off('unhandledRejection', record);
      return seen;
    },
  };
}
