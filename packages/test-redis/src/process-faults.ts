/**
 * Records unhandled promise rejections and uncaught exceptions until `stop()`: either would
 * crash a process that runs with Node's defaults. `stop()` waits a little first, because Node
 * reports unhandled rejections only after the microtask queue drains.
 */
export function captureProcessFaults(): { stop(): Promise<unknown[]> } {
  const seen: unknown[] = [];
  const record = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, 50));
      process.off('unhandledRejection', record);
      process.off('uncaughtException', record);
      return seen;
    },
  };
}
