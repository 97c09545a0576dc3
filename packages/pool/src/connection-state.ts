import type { Arg } from '@x/resp';

/**
 * ConnectionState follows the commands a borrower sends, as Redigo's activeConn does, so the
 * pool knows what to undo before the next borrower gets the connection.
 */
export class ConnectionState {
  watching = false;
  inMulti = false;
  subscribed = false;
  /**
   * State the pool cannot undo (MONITOR, SELECT, HELLO, AUTH, CLIENT TRACKING/REPLY/SETNAME,
   * READONLY): close for real, so that no borrower inherits another's user, name or mode.
   */
  unrecoverable = false;

  /** Records what `command` does to the connection's state. */
  track(command: string, args: readonly Arg[]): void {
    switch (command.toUpperCase()) {
      case 'WATCH':
        this.watching = true;
        break;
      case 'UNWATCH':
        this.watching = false;
        break;
      case 'MULTI':
        this.inMulti = true;
        break;
      case 'EXEC':
      case 'DISCARD':
        this.inMulti = false;
        this.watching = false;
        break;
      case 'SUBSCRIBE':
      case 'PSUBSCRIBE':
      case 'SSUBSCRIBE':
        this.subscribed = true;
        break;
      case 'RESET':
        this.watching = false;
        this.inMulti = false;
        this.subscribed = false;
        // RESET also returns to RESP2 and database 0, which the pool cannot tell apart.
        this.unrecoverable = true;
        break;
      case 'MONITOR':
      case 'SELECT':
      case 'HELLO':
      case 'AUTH':
      case 'READONLY':
      case 'READWRITE':
        this.unrecoverable = true;
        break;
      case 'CLIENT': {
        const sub = String(args[0] ?? '').toUpperCase();
        if (
          sub === 'TRACKING' ||
          sub === 'REPLY' ||
          sub === 'NO-EVICT' ||
          sub === 'NO-TOUCH' ||
          sub === 'SETNAME' ||
          sub === 'SETINFO'
        ) {
          this.unrecoverable = true;
        }
        break;
      }
    }
  }
}
