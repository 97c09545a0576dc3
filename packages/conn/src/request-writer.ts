import type { Socket } from 'node:net';
import { CommandEncoder } from '@x/resp';
import { type Request, RequestState } from './request.js';

const WRITE_BATCH_BYTES = 1024 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What the writer tells its connection. */
export interface WriterHost {
  /** `request` is about to be written: the host may put a stand-in in its place (Request.standIn). */
  beforeWrite(request: Request): void;
  /** `request` was handed to the socket. */
  written(request: Request): void;
  /** Every queued command has been handed to the socket. */
  allWritten(): void;
  /** The socket took everything after asking us to wait. */
  drained(): void;
  /** The socket did not drain within `writeTimeoutMs`. */
  timedOut(writeTimeoutMs: number): void;
}

/**
 * RequestWriter holds the unwritten part of the request queue and writes it: every command
 * issued in the same tick in one write (the batch), at most 1 MiB encoded at a time, and nothing
 * more while the socket asks to wait (`drain`), so a burst costs the memory of its data only. A
 * command given up before its turn is skipped and never sent.
 */
export class RequestWriter {
  readonly #socket: Socket;
  readonly #writeTimeoutMs: number;
  readonly #host: WriterHost;
  readonly #encoder = new CommandEncoder();
  #unwritten: Request[] = [];
  #scheduled = false;
  #draining = false;
  #stopped = false;
  #writeTimer: NodeJS.Timeout | undefined;
  #drained: Promise<void> | null = null;
  #wakeDrained: () => void = () => {};

  constructor(socket: Socket, writeTimeoutMs: number, host: WriterHost) {
    this.#socket = socket;
    this.#writeTimeoutMs = writeTimeoutMs;
    this.#host = host;
  }

  /** Commands queued and not written yet (some may be given up). */
  get pending(): number {
    return this.#unwritten.length;
  }

  /** True while the socket asks us to wait. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Queues a command; `write`, `flush` or a scheduled write sends it. */
  queue(request: Request): void {
    this.#unwritten.push(request);
  }

  /** Writes on the next tick, so every command issued in this tick leaves in one write. */
  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    process.nextTick(() => {
      this.#scheduled = false;
      this.write();
    });
  }

  /** Writes queued commands in batches, stopping while the socket asks us to wait. */
  write(): void {
    if (this.#draining || this.#stopped) return;
    const batch = this.#unwritten;
    if (batch.length === 0) return;
    this.#unwritten = [];
    let index = 0;
    while (index < batch.length) {
      while (index < batch.length && this.#encoder.byteLength < WRITE_BATCH_BYTES) {
        const request = batch[index++]!;
        if (request.state !== RequestState.Unwritten) continue;
        this.#host.beforeWrite(request);
        this.#encoder.addWire(request.wire!);
        request.state = RequestState.Written;
        this.#host.written(request);
      }
      if (!this.#writeChunks(this.#encoder.take())) {
        this.#unwritten = batch.slice(index).concat(this.#unwritten);
        this.#waitForDrain();
        return;
      }
    }
    this.#host.allWritten();
  }

  /** Writes everything queued; resolves once the socket has taken all of it. */
  async flush(failure: () => Error | null): Promise<void> {
    for (;;) {
      const failed = failure();
      if (failed !== null) throw failed;
      this.write();
      if (!this.#draining) break;
      this.#drained ??= new Promise<void>((resolve) => {
        this.#wakeDrained = resolve;
      });
      await this.#drained;
    }
    await new Promise<void>((resolve, reject) => {
      // An empty write is queued behind the data, so its callback means everything went out.
      this.#socket.write('', (error) => (error ? reject(failure() ?? error) : resolve()));
    });
  }

  /** Stops writing for good; returns the commands that were never written. */
  stop(): Request[] {
    this.#stopped = true;
    clearTimeout(this.#writeTimer);
    const unwritten = this.#unwritten;
    this.#unwritten = [];
    this.#wakeFlushers();
    return unwritten;
  }

  #writeChunks(chunks: Buffer[]): boolean {
    if (chunks.length === 0) return true;
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
      this.#writeTimer = setTimeout(
        () => this.#host.timedOut(this.#writeTimeoutMs),
        Math.min(this.#writeTimeoutMs, MAX_TIMER_MS),
      );
    }
    this.#socket.once('drain', () => {
      clearTimeout(this.#writeTimer);
      this.#draining = false;
      this.#host.drained();
      this.#wakeFlushers();
      this.write();
    });
  }

  #wakeFlushers(): void {
    this.#drained = null;
    this.#wakeDrained();
  }
}
