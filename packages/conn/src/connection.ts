import type { Socket } from 'node:net';
import { inspect } from 'node:util';
import {
  type Arg,
  CommandEncoder,
  commandToWire,
  Decoder,
  type DecoderOptions,
  type Push,
  type Reply,
  ReplyError,
} from '@x/resp';
import { armCallOptions } from './call-guard.js';
import { tracing } from './diagnostics.js';
import { ConnectionError, TimeoutError } from './errors.js';
import { Queue } from './queue.js';
import { Delivery, Request, RequestState } from './request.js';
import type { CallOptions, Conn, Pipeline } from './types.js';

/** ConnOptions configures a Connection around a socket that is already connected. */
export interface ConnOptions {
  /** The protocol the connection speaks; with 3, push frames go to push listeners. Default 2. */
  protocol?: 2 | 3;
  /** Fail the connection when replies are pending and nothing arrives for this long. Default: none. */
  readTimeoutMs?: number;
  /** Fail the connection when a write cannot drain for this long. Default: none. */
  writeTimeoutMs?: number;
  /** Unread replies (from send, MONITOR, RESP2 pub/sub) above which the socket is paused. Default 10,000. */
  maxBufferedReplies?: number;
  /**
   * Send a PING after this long without traffic, and fail the connection when it gets no answer
   * within the same time: finds a dead peer on an idle connection. The timer never keeps the
   * process alive. Default: off.
   */
  keepAlivePingMs?: number;
  /** Longest argument sent; longer ones reject with RangeError. Default 512 MiB, the server's proto-max-bulk-len. */
  maxArgBytes?: number;
  /** Decoder settings: `bulkStringsAs` and the limits. */
  decoder?: Omit<DecoderOptions, 'onReply' | 'onPush' | 'onAttribute'>;
}

const subscribeCommands = new Set(['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE']);
const unsubscribeCommands = new Set(['UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE']);
const WRITE_BATCH_BYTES = 1024 * 1024;

let nextConnectionId = 1;

/**
 * Connection is one Redis connection, safe for concurrent callers: commands issued in the same
 * tick leave in one write and replies are matched to them in order. `send`/`flush`/`receive`
 * keep Redigo's single-owner meaning; `pipeline()` gives a caller that shares the connection a
 * queue of its own.
 */
export class Connection implements Conn {
  /** A number that tells connections apart in traces and logs. */
  readonly id = nextConnectionId++;
  readonly #socket: Socket;
  readonly #decoder: Decoder;
  readonly #encoder = new CommandEncoder();
  readonly #resp3: boolean;
  readonly #readTimeoutMs: number;
  readonly #writeTimeoutMs: number;
  readonly #maxBufferedReplies: number;
  readonly #maxArgBytes: number | undefined;
  #unwritten: Request[] = [];
  readonly #inflight = new Queue<Request>();
  /** Replies that belong to the owner: from send(), or unsolicited; read by receive() or do(). */
  readonly #owned = new Queue<Request>();
  readonly #receivers = new Queue<(request: Request) => void>();
  readonly #pushListeners = new Set<(push: Push) => void>();
  #fatal: ConnectionError | null = null;
  #flushScheduled = false;
  #draining = false;
  #writeTimer: NodeJS.Timeout | undefined;
  /** Why reading is paused: too many unread replies, and/or a consumer that asked (pauseReading). */
  #pausedForBuffer = false;
  #pausedByConsumer = false;
  #keepAliveTimer: NodeJS.Timeout | undefined;
  #lastActivityMs = Date.now();
  readonly #closed: Promise<void>;

  constructor(socket: Socket, options: ConnOptions = {}) {
    this.#socket = socket;
    this.#resp3 = options.protocol === 3;
    this.#readTimeoutMs = options.readTimeoutMs ?? 0;
    this.#writeTimeoutMs = options.writeTimeoutMs ?? 0;
    this.#maxBufferedReplies = options.maxBufferedReplies ?? 10_000;
    this.#maxArgBytes = options.maxArgBytes;
    this.#decoder = new Decoder({
      ...options.decoder,
      onReply: (reply) => this.#onReply(reply),
      onPush: (push) => this.#onPush(push),
    });
    this.#closed = new Promise((resolve) => socket.once('close', () => resolve()));
    const keepAlivePingMs = options.keepAlivePingMs ?? 0;
    if (keepAlivePingMs > 0) {
      this.#keepAliveTimer = setInterval(
        () => this.#keepAlive(keepAlivePingMs),
        keepAlivePingMs,
      ).unref();
    }
    socket.on('data', (chunk: Buffer) => {
      this.#lastActivityMs = Date.now();
      try {
        this.#decoder.write(chunk);
      } catch (error) {
        this.#fail(error, 'invalid reply from server');
      }
    });
    socket.on('error', (error) => this.#fail(error, `connection failed: ${error.message}`));
    socket.on('close', () => this.#fail(undefined, 'server closed the connection'));
    socket.on('timeout', () => {
      if (this.#inflight.length > 0) {
        this.#fail(new TimeoutError(`no reply within ${this.#readTimeoutMs} ms`), 'read timed out');
      }
    });
  }

  /** Runs a command and resolves to its reply after every earlier `send` reply is read. */
  do(command: string, ...args: Arg[]): Promise<Reply> {
    return this.#call(undefined, command, args);
  }

  /** `do` with a signal and/or a time limit for this call alone. */
  doWith(options: CallOptions, command: string, ...args: Arg[]): Promise<Reply> {
    return this.#call(options, command, args);
  }

  /** Redigo's DoWithTimeout: `do` that rejects with TimeoutError after `timeoutMs`. */
  doWithTimeout(timeoutMs: number, command: string, ...args: Arg[]): Promise<Reply> {
    return this.#call({ timeoutMs }, command, args);
  }

  /** Queues a command in the output buffer; `flush`, `do` or the next tick writes it. */
  send(command: string, ...args: Arg[]): void {
    if (this.#fatal !== null) throw this.#fatal;
    const request = this.#newRequest(command, args, Delivery.Owned);
    this.#unwritten.push(request);
    if (!request.repliesByPush) this.#addOwned(request);
  }

  /** Writes the output buffer; resolves once the socket has taken all of it. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#fatal !== null) throw this.#fatal;
      this.#write();
      if (!this.#draining) break;
      await new Promise<void>((resolve) => {
        this.#socket.once('drain', resolve);
        this.#socket.once('close', resolve);
      });
    }
    await new Promise<void>((resolve, reject) => {
      // An empty write is queued behind the data, so its callback means everything went out.
      this.#socket.write('', (error) => (error ? reject(this.#fatal ?? error) : resolve()));
    });
  }

  /** Resolves to the next reply owned by this connection's user (see `send`). */
  receive(): Promise<Reply> {
    return this.receiveWith({});
  }

  /** Redigo's ReceiveWithTimeout. */
  receiveWithTimeout(timeoutMs: number): Promise<Reply> {
    return this.receiveWith({ timeoutMs });
  }

  /** `receive` with a signal and/or a time limit; giving up consumes nothing not yet arrived. */
  receiveWith(options: CallOptions): Promise<Reply> {
    const head = this.#owned.shift();
    this.#resumeIfBelowLimit();
    // Already here (the usual case for pub/sub and MONITOR): no waiting machinery needed.
    if (head?.state === RequestState.Done && head.failure === undefined) {
      return head.reply instanceof ReplyError
        ? Promise.reject(head.reply)
        : Promise.resolve(head.reply);
    }
    if (head !== undefined) return this.#awaitOwned([head], options).then(firstOrThrow);
    if (this.#fatal !== null) return Promise.reject(this.#fatal);
    return new Promise<Reply>((resolve, reject) => {
      const receiver = (request: Request) => {
        cleanup();
        // An unsolicited reply (pub/sub, MONITOR) arrives complete: hand it over directly.
        if (request.state === RequestState.Done && request.failure === undefined) {
          if (request.reply instanceof ReplyError) reject(request.reply);
          else resolve(request.reply);
          return;
        }
        this.#awaitOwned([request], options).then(firstOrThrow).then(resolve, reject);
      };
      // Queued before arming, so a signal that is already aborted takes it out again at once.
      this.#receivers.push(receiver);
      const cleanup = armCallOptions(options, (error) => {
        this.#receivers.extract((waiting) => waiting === receiver);
        reject(error);
      });
    });
  }

  /** A pipeline: a private queue of commands and replies on this shared connection. */
  pipeline(): Pipeline {
    return new ConnPipeline(this);
  }

  /** Listens for RESP3 push frames (pub/sub messages, invalidations); returns the unsubscribe. */
  onPush(listener: (push: Push) => void): () => void {
    this.#pushListeners.add(listener);
    return () => this.#pushListeners.delete(listener);
  }

  /** The protocol this connection speaks: 2, or 3 after HELLO 3. */
  get protocol(): 2 | 3 {
    return this.#resp3 ? 3 : 2;
  }

  /** Resolves when the socket has closed, for whatever reason; `err()` then tells why. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Replies received that no one has read yet (from send, MONITOR, RESP2 pub/sub). */
  get bufferedReplies(): number {
    return this.#owned.length;
  }

  /**
   * Stops reading from the socket until resumeReading(): backpressure for a slow consumer of
   * push frames. The server buffers meanwhile (up to its client-output-buffer-limit).
   */
  pauseReading(): void {
    this.#pausedByConsumer = true;
    this.#updateReading();
  }

  /** Reads from the socket again after pauseReading(). */
  resumeReading(): void {
    this.#pausedByConsumer = false;
    this.#updateReading();
  }

  /** The error that made this connection unusable, or null while it works. */
  err(): ConnectionError | null {
    return this.#fatal;
  }

  /** Closes the connection; every pending call rejects with ConnectionError. */
  close(): Promise<void> {
    this.#fail(undefined, 'connection closed', 'ERR_CLOSED');
    return this.#closed;
  }

  /** Queues a request written with the next batch: used by pipelines. */
  enqueue(command: string, args: readonly Arg[], options?: CallOptions): Promise<Reply> {
    return this.#call(options, command, args, true);
  }

  [inspect.custom](): string {
    const state = this.#fatal === null ? 'open' : `broken: ${this.#fatal.message}`;
    return `Connection { id: ${this.id}, ${state}, inflight: ${this.#inflight.length} }`;
  }

  #call(
    options: CallOptions | undefined,
    command: string,
    args: readonly Arg[],
    alone = false,
  ): Promise<Reply> {
    if (command === '') return this.#collectOwned(options);
    if (this.#fatal !== null) return Promise.reject(this.#fatal);
    let request: Request;
    try {
      request = this.#newRequest(command, args, Delivery.Caller);
    } catch (error) {
      return Promise.reject(error);
    }
    const hasOwned = !alone && this.#owned.length > 0;
    const promise = request.promise();
    if (options !== undefined) {
      const cleanup = armCallOptions(options, (error) =>
        request.fail(error, RequestState.Cancelled),
      );
      request.onSettle(cleanup);
    }
    this.#unwritten.push(request);
    if (!hasOwned) {
      this.#scheduleFlush();
      return promise;
    }
    // Redigo's Do: read every reply of earlier sends too, and fail with the first error among them.
    const earlier = this.#owned.drain();
    this.#write();
    return this.#awaitOwned(earlier, options).then(
      (replies) => {
        const error = replies.find((reply) => reply instanceof ReplyError);
        return error === undefined ? promise : promise.then(() => Promise.reject(error));
      },
      (error) => {
        promise.catch(() => {});
        request.fail(error, RequestState.Cancelled);
        return Promise.reject(error);
      },
    );
  }

  #newRequest(command: string, args: readonly Arg[], delivery: 0 | 1): Request {
    const wire = commandToWire([command, ...args], this.#maxArgBytes);
    const request = new Request(wire, delivery, this.#resp3 && repliesByPush(command, args.length));
    if (tracing()) request.traceStart(command.toUpperCase(), args, this.id);
    return request;
  }

  /** do(""): flush and resolve to every owned reply (errors as values), or null with none. */
  #collectOwned(options: CallOptions | undefined): Promise<Reply> {
    if (this.#owned.length === 0) return Promise.resolve(null);
    const owned = this.#owned.drain();
    this.#write();
    return this.#awaitOwned(owned, options);
  }

  /** Waits for owned requests, honouring the call's signal and time limit. */
  #awaitOwned(requests: Request[], options: CallOptions | undefined): Promise<Reply[]> {
    const all = Promise.all(requests.map((request) => request.settled())).then(() => {
      const failed = requests.find((request) => request.failure !== undefined);
      if (failed !== undefined) throw failed.failure;
      return requests.map((request) => request.reply);
    });
    if (
      options === undefined ||
      (options.signal === undefined && options.timeoutMs === undefined)
    ) {
      return all;
    }
    return new Promise<Reply[]>((resolve, reject) => {
      const cleanup = armCallOptions(options, (error) => {
        for (const request of requests) request.fail(error, RequestState.Cancelled);
        reject(error);
      });
      all.then(
        (replies) => {
          cleanup();
          resolve(replies);
        },
        (error) => {
          cleanup();
          reject(error);
        },
      );
    });
  }

  #addOwned(request: Request): void {
    const receiver = this.#receivers.shift();
    if (receiver !== undefined) receiver(request);
    else this.#owned.push(request);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    process.nextTick(() => {
      this.#flushScheduled = false;
      this.#write();
    });
  }

  /** Writes queued commands in batches, stopping while the socket asks us to wait (drain). */
  #write(): void {
    if (this.#draining || this.#fatal !== null) return;
    const batch = this.#unwritten;
    this.#unwritten = [];
    let index = 0;
    while (index < batch.length) {
      while (index < batch.length && this.#encoder.byteLength < WRITE_BATCH_BYTES) {
        const request = batch[index++]!;
        if (request.state === RequestState.Cancelled) continue;
        this.#encoder.add(request.wire!);
        request.wire = null;
        if (request.repliesByPush) {
          request.complete(null);
        } else {
          request.state = RequestState.Written;
          if (this.#inflight.length === 0 && this.#readTimeoutMs > 0) {
            this.#socket.setTimeout(this.#readTimeoutMs);
          }
          this.#inflight.push(request);
        }
      }
      if (!this.#writeChunks(this.#encoder.take())) {
        this.#unwritten = batch.slice(index).concat(this.#unwritten);
        this.#waitForDrain();
        return;
      }
    }
  }

  #writeChunks(chunks: Buffer[]): boolean {
    if (chunks.length === 1) return this.#socket.write(chunks[0]!);
    let writable = true;
    this.#socket.cork();
    for (const chunk of chunks) writable = this.#socket.write(chunk) && writable;
    this.#socket.uncork();
    return writable;
  }

  #waitForDrain(): void {
    this.#draining = true;
    if (this.#writeTimeoutMs > 0) {
      this.#writeTimer = setTimeout(() => {
        this.#fail(
          new TimeoutError(`write did not drain within ${this.#writeTimeoutMs} ms`),
          'write timed out',
        );
      }, this.#writeTimeoutMs);
    }
    this.#socket.once('drain', () => {
      clearTimeout(this.#writeTimer);
      this.#draining = false;
      if (this.#unwritten.length > 0) this.#write();
    });
  }

  #onReply(reply: Reply): void {
    const request = this.#inflight.shift();
    if (request !== undefined) {
      if (this.#inflight.length === 0 && this.#readTimeoutMs > 0) this.#socket.setTimeout(0);
      request.complete(reply);
      return;
    }
    // No command waits for it: a reply MONITOR or RESP2 pub/sub sends unasked. The owner reads it.
    const unsolicited = new Request(null, Delivery.Owned);
    unsolicited.complete(reply);
    this.#addOwned(unsolicited);
    if (this.#owned.length > this.#maxBufferedReplies && !this.#pausedForBuffer) {
      this.#pausedForBuffer = true;
      this.#updateReading();
    }
  }

  #resumeIfBelowLimit(): void {
    if (this.#pausedForBuffer && this.#owned.length <= this.#maxBufferedReplies / 2) {
      this.#pausedForBuffer = false;
      this.#updateReading();
    }
  }

  #updateReading(): void {
    if (this.#pausedForBuffer || this.#pausedByConsumer) this.#socket.pause();
    else this.#socket.resume();
  }

  #onPush(push: Push): void {
    for (const listener of this.#pushListeners) {
      try {
        listener(push);
      } catch (error) {
        // A listener's bug must not break the reply stream; surface it as an uncaught error.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Pings an idle connection; no answer within `intervalMs` means the peer is gone. */
  #keepAlive(intervalMs: number): void {
    const idle = this.#inflight.length === 0 && this.#unwritten.length === 0;
    if (!idle || Date.now() - this.#lastActivityMs < intervalMs) return;
    this.#lastActivityMs = Date.now();
    this.doWith({ timeoutMs: intervalMs }, 'PING').catch((error: unknown) => {
      if (TimeoutError.is(error))
        this.#fail(error, `keep-alive PING got no answer within ${intervalMs} ms`);
    });
  }

  #fail(cause: unknown, message: string, code?: string): void {
    if (this.#fatal !== null) return;
    clearInterval(this.#keepAliveTimer);
    const error = new ConnectionError(message, code === undefined ? { cause } : { cause, code });
    this.#fatal = error;
    clearTimeout(this.#writeTimer);
    this.#socket.destroy();
    for (const request of this.#unwritten) request.fail(error);
    this.#unwritten = [];
    for (const request of this.#inflight.drain()) request.fail(error);
    // Replies that already arrived stay readable: receive() returns them before it rejects.
    for (const request of this.#owned.extract((owned) => owned.state !== RequestState.Done))
      request.fail(error);
    // Waiting receivers get a failed request, so they reject with the same error.
    for (const receiver of this.#receivers.drain()) {
      const failed = new Request(null, Delivery.Owned);
      failed.fail(error);
      receiver(failed);
    }
  }
}

/** In RESP3 the subscribe family is answered by push frames only, never by a reply. */
function repliesByPush(command: string, argCount: number): boolean {
  const name = command.toUpperCase();
  return unsubscribeCommands.has(name) || (subscribeCommands.has(name) && argCount > 0);
}

function firstOrThrow(replies: Reply[]): Reply {
  const reply = replies[0] ?? null;
  if (reply instanceof ReplyError) throw reply;
  return reply;
}

/** A pipeline over a shared connection: its replies are its own, in the order of its sends. */
class ConnPipeline implements Pipeline {
  readonly #conn: Connection;
  readonly #replies: Promise<Reply>[] = [];

  constructor(conn: Connection) {
    this.#conn = conn;
  }

  send(command: string, ...args: Arg[]): void {
    const reply = this.#conn.enqueue(command, args);
    // Errors are read through receive(); this keeps an unread failure from being "unhandled".
    reply.catch(() => {});
    this.#replies.push(reply);
  }

  flush(): Promise<void> {
    return this.#conn.flush();
  }

  receive(): Promise<Reply> {
    const next = this.#replies.shift();
    if (next === undefined)
      return Promise.reject(new Error('receive() without a pending send on this pipeline'));
    return next;
  }

  async receiveAll(): Promise<Reply[]> {
    const pending = this.#replies.splice(0);
    await this.#conn.flush().catch(() => {});
    const settled = await Promise.allSettled(pending);
    return settled.map((outcome) => {
      if (outcome.status === 'fulfilled') return outcome.value;
      if (outcome.reason instanceof ReplyError) return outcome.reason;
      throw outcome.reason;
    });
  }
}
