import { ReplyError } from '@x/resp';
import { describe, expect, it } from 'vitest';
import { CommandKind } from './command-kind.js';
import { type ReplySink, Request, RequestState } from './request.js';

// Request packs state, abandoned, kind and slot into one integer: each must survive writes to the
// others, at every kind and at slots past what 32-bit shifts could hold.
describe('Request packed fields', () => {
  const kinds = Object.values(CommandKind);
  const slots = [0, 1, 127, 128, 2 ** 24 + 3, 2 ** 31 + 5, 2 ** 40 + 9];

  it('keeps each field apart from the others', () => {
    for (const kind of kinds) {
      for (const slot of slots) {
        const request = new Request(['PING'], kind, null, 0);
        expect(request.kind).toBe(kind);
        expect(request.state).toBe(RequestState.Unwritten);
        expect(request.abandoned).toBe(false);
        request.slot = slot;
        request.state = RequestState.Written;
        request.abandoned = true;
        request.abandoned = true;
        expect([request.kind, request.state, request.abandoned, request.slot]).toEqual([
          kind,
          RequestState.Written,
          true,
          slot,
        ]);
        request.abandoned = false;
        request.state = RequestState.Settled;
        request.slot = 7;
        expect([request.kind, request.state, request.abandoned, request.slot]).toEqual([
          kind,
          RequestState.Settled,
          false,
          7,
        ]);
      }
    }
  });

  it("gives a `do`'s reply to its promise and a `send`'s to its sink, never both", async () => {
    const called = new Request(['GET', 'k'], CommandKind.Plain, null, 0);
    expect(called.sink).toBeNull();
    const promise = called.promise();
    expect(called.sink).toBeNull();
    called.complete('v');
    await expect(promise).resolves.toBe('v');

    const failing = new Request(['GET', 'k'], CommandKind.Plain, null, 0);
    const rejected = failing.promise();
    failing.complete(new ReplyError('WRONGTYPE x'));
    await expect(rejected).rejects.toBeInstanceOf(ReplyError);

    const seen: string[] = [];
    const sink: ReplySink = {
      reply: (_, reply) => seen.push(`reply ${String(reply)}`),
      confirmed: () => seen.push('confirmed'),
      failed: (_, error) => seen.push(`failed ${(error as Error).message}`),
    };
    const sent = [0, 1, 2].map(() => new Request(['PING'], CommandKind.Plain, null, 0));
    for (const request of sent) request.sink = sink;
    expect(sent[0]!.sink).toBe(sink);
    sent[0]!.complete('PONG');
    sent[1]!.confirm();
    sent[2]!.fail(new Error('gone'));
    expect(seen).toEqual(['reply PONG', 'confirmed', 'failed gone']);
  });

  it('refuses a sink on a request with a caller promise, and a second promise or one after a sink', () => {
    const sink: ReplySink = { reply: () => {}, confirmed: () => {}, failed: () => {} };
    const called = new Request(['GET', 'k'], CommandKind.Plain, null, 0);
    void called.promise();
    expect(() => {
      called.sink = sink;
    }).toThrow(/caller promise/);
    expect(() => called.promise()).toThrow(/one caller promise/);
    const sent = new Request(['PING'], CommandKind.Plain, null, 0);
    sent.sink = sink;
    sent.sink = null;
    sent.sink = sink;
    expect(() => sent.promise()).toThrow(/one caller promise/);
  });
});
