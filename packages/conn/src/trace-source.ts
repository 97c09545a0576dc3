import type { Socket } from 'node:net';
import type { TraceTarget } from './trace-context.js';

/** Where a dial connected, which the socket alone does not tell (a host name, a database). */
export interface DialedServer {
  host?: string | undefined;
  port?: number | undefined;
  path?: string | undefined;
  database?: number | undefined;
}

/**
 * TraceSource describes one connection to its traces. The description is built on the first
 * traced command, so a connection nobody traces pays for this one small object only.
 */
export class TraceSource {
  readonly #connectionId: number;
  readonly #socket: Socket;
  #dialed: DialedServer | null = null;
  #target: TraceTarget | null = null;

  constructor(connectionId: number, socket: Socket) {
    this.#connectionId = connectionId;
    this.#socket = socket;
  }

  /** Records what the dial asked for. */
  dialed(server: DialedServer): void {
    this.#dialed = server;
    this.#target = null;
  }

  /** The connection as traces show it. */
  target(): TraceTarget {
    this.#target ??= this.#describe();
    return this.#target;
  }

  #describe(): TraceTarget {
    const dialed = this.#dialed;
    if (dialed === null)
      return {
        connectionId: this.#connectionId,
        serverAddress: this.#socket.remoteAddress,
        serverPort: this.#socket.remotePort,
        database: 0,
      };
    const path = dialed.path;
    return {
      connectionId: this.#connectionId,
      serverAddress: path ?? dialed.host ?? '127.0.0.1',
      serverPort: path === undefined ? (dialed.port ?? 6379) : undefined,
      database: dialed.database ?? 0,
    };
  }
}

/** The target of a command issued before there is a connection (a client offline). */
export const noTarget: TraceTarget = {
  connectionId: 0,
  serverAddress: undefined,
  serverPort: undefined,
  database: 0,
};
