/** Shared helpers for the adversarial probes (not a test file). */

export type Outcome =
  | { status: 'resolved'; value: unknown; ms: number }
  | { status: 'rejected'; error: unknown; ms: number }
  | { status: 'pending'; ms: number };

/** Waits at most `ms` for `promise`; says whether it resolved, rejected or is still pending. */
export async function within(promise: Promise<unknown>, ms: number): Promise<Outcome> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'pending', ms: Date.now() - started }), ms);
  });
  const settled = promise.then(
    (value): Outcome => ({ status: 'resolved', value, ms: Date.now() - started }),
    (error: unknown): Outcome => ({ status: 'rejected', error, ms: Date.now() - started }),
  );
  try {
    return await Promise.race([settled, pending]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A reply with every Buffer turned into a string, for readable assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertions index into the result freely
export const text = (value: unknown): any =>
  Buffer.isBuffer(value) ? value.toString() : Array.isArray(value) ? value.map(text) : value;
