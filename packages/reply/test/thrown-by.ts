/** What `run` throws, so a test can compare it by identity; 'nothing thrown' when it returns. */
export function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return 'nothing thrown';
}
