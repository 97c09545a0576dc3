import { describe, expectTypeOf, it } from 'vitest';
import type { Connection } from '../src/index.js';

// A type test: `pnpm typecheck` compiles it. Any member added to Connection's public type (an
// internal method such as the request queue's `enqueue` leaking out) must be added here on purpose.
describe("Connection's public type", () => {
  it('has exactly the documented members', () => {
    expectTypeOf<Exclude<keyof Connection, symbol>>().toEqualTypeOf<
      | 'id'
      | 'do'
      | 'doWith'
      | 'doWithTimeout'
      | 'send'
      | 'flush'
      | 'receive'
      | 'receiveWith'
      | 'receiveWithTimeout'
      | 'pipeline'
      | 'onPush'
      | 'protocol'
      | 'closed'
      | 'bufferedReplies'
      | 'pauseReading'
      | 'resumeReading'
      | 'err'
      | 'close'
      | 'destroy'
    >();
  });
});
