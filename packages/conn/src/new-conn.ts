import type { Socket } from 'node:net';
import type { ConnOptions } from './conn-options.js';
import { Connection } from './connection.js';

/**
 * Wraps a socket the caller already connected (Redigo's NewConn). No handshake is sent: with
 * `protocol: 3`, the caller has sent HELLO 3 or sends it first.
 */
export function newConn(socket: Socket, options: ConnOptions = {}): Connection {
  return new Connection(socket, options);
}
