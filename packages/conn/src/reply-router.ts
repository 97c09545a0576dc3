import { ProtocolError, Push, type Reply, ReplyError } from '@x/resp';
import { CommandKind } from './command-kind.js';
import { redactError } from './diagnostics.js';
import { Queue } from './queue.js';
import type { Request } from './request.js';
import {
  type Confirming,
  confirmationKind,
  isMessage,
  SubscriptionTracker,
} from './subscriptions.js';

/** What the router hands back to its connection. */
export interface RouterHost {
  /** A reply for the owner's stream (receive()): a send's, or one nobody asked for. */
  toOwner(reply: Reply): void;
  /** A push frame for the push listeners. */
  notifyPush(push: Push): void;
  /** `head` left the written queue, settled. */
  headSettled(head: Request): void;
  /** Bytes received so far, for the offset of a ProtocolError. */
  bytesRead(): number;
  /** An error reply reached its command's caller (after headSettled). */
  errorReply(reply: ReplyError): void;
}

/**
 * ReplyRouter holds the written part of the request queue and decides, from each frame itself,
 * where it goes: to the head's caller, to the owner's stream, or to the push listeners. It
 * follows the connection state that decides this: the protocol (HELLO, RESET), subscriptions
 * (from the server's confirmations), MONITOR, and an open MULTI.
 */
export class ReplyRouter {
  /** Written commands awaiting their replies, oldest first. */
  readonly written = new Queue<Request>();
  /** The protocol the server speaks now: set by the options, then followed through HELLO and RESET. */
  resp3: boolean;
  /** MONITOR commands written and not answered yet. */
  #monitorsInFlight = 0;
  /**
   * The server answered MONITOR with OK: monitor lines may come from here on. Until then a
   * string reply belongs to the command it answers, however much it looks like a monitor line.
   */
  #monitorConfirmed = false;
  #subscriptions = new SubscriptionTracker();
  /** RESP2 SUBSCRIBE commands written and not yet settled: their confirmations may come unasked. */
  #subscribesInFlight = 0;
  /** Inside MULTI (as written): confirmation frames beyond one per queued command; -1 outside. */
  #transactionSurplus = -1;
  /** RESP2, inside MULTI: a subscribe command was queued, so EXEC runs the rest subscribed. */
  #transactionSubscribes = false;
  /** The MULTI that opened the transaction: only its refusal means there is none (not a nested one's). */
  #openingMulti: Request | null = null;
  /** The server is inside MULTI, as its answers so far say (MULTI's OK until EXEC, DISCARD, RESET). */
  #serverInTransaction = false;
  /**
   * A MULTI refused here: what is written after it, up to EXEC or DISCARD, is refused with it
   * until its caller has the refusal (the MULTI settles); later commands were sent knowing it.
   */
  #refusedTransaction: { multi: Request; refusal: TypeError } | null = null;
  /** HELLO commands written and not answered: the protocol may change under what follows. */
  #hellosInFlight = 0;
  readonly #host: RouterHost;

  constructor(resp3: boolean, host: RouterHost) {
    this.resp3 = resp3;
    this.#host = host;
  }

  /** True between a written MULTI and its EXEC or DISCARD (also one refused here). */
  get inTransaction(): boolean {
    return this.#transactionSurplus >= 0 || this.#refusedTransaction !== null;
  }

  /** RESP2 may be what the server speaks when the next command runs (a HELLO is unanswered). */
  #mayBeResp2(): boolean {
    return !this.resp3 || this.#hellosInFlight > 0;
  }

  /**
   * True while a transaction may be open on the server: as written, or as answered (a MULTI
   * the write-time view took for refused may still have opened one). A keep-alive PING waits.
   */
  get mayBeInTransaction(): boolean {
    return this.inTransaction || this.#serverInTransaction;
  }

  /**
   * Replies nobody asked for may come now, before the head's reply: MONITOR lines once the
   * server has answered MONITOR, RESP2 pub/sub once it holds a subscription or is confirming one.
   */
  unaskedNow(): boolean {
    return this.#monitorConfirmed || this.#resp2PubSubNow(this.written.peek());
  }

  /**
   * A RESP2 message or confirmation comes only while the server holds a subscription, or as the
   * answer of the subscribe command at the head. A command that runs before the first SUBSCRIBE
   * is confirmed gets its reply, whatever it looks like.
   */
  #resp2PubSubNow(head: Request | undefined): boolean {
    return !this.resp3 && (this.#subscriptions.total > 0 || head?.confirming != null);
  }

  /** MONITOR was written and not refused (and no RESET since): no keep-alive PING may go out. */
  get monitoring(): boolean {
    return this.#monitorsInFlight > 0 || this.#monitorConfirmed;
  }

  #endTransaction(): void {
    this.#transactionSurplus = -1;
    this.#transactionSubscribes = false;
    this.#openingMulti = null;
  }

  noteWritten(request: Request): void {
    // A stand-in for a refused command changes nothing (its ECHO fails at once).
    if (request.refused) return;
    switch (request.kind) {
      case CommandKind.Monitor:
        this.#monitorsInFlight++;
        break;
      case CommandKind.Hello:
        this.#hellosInFlight++;
        break;
      case CommandKind.Multi:
        // A nested MULTI is refused by the server and leaves the open transaction as it is.
        if (this.#transactionSurplus < 0) {
          this.#transactionSurplus = 0;
          this.#openingMulti = request;
        }
        break;
      case CommandKind.Discard:
      case CommandKind.Reset:
        // RESET is never queued: it ends the transaction when it runs, before what follows it.
        this.#endTransaction();
        break;
      case CommandKind.Exec:
        if (this.#transactionSurplus > 0)
          request.confirming = { kind: 'exec', remaining: this.#transactionSurplus, parts: null };
        this.#endTransaction();
        break;
      case CommandKind.Subscribe:
      case CommandKind.Unsubscribe: {
        if (request.kind === CommandKind.Subscribe) {
          this.#subscribesInFlight++;
          if (this.inTransaction && this.#mayBeResp2()) this.#transactionSubscribes = true;
        }
        const confirming = request.confirming;
        if (this.#transactionSurplus >= 0 && confirming !== null) {
          const frames =
            confirming.remaining >= 0
              ? confirming.remaining
              : this.#subscriptions.expectedForAll(confirming.kind);
          this.#transactionSurplus += frames - 1;
        }
      }
    }
  }

  /**
   * Refuses a command that MULTI would queue but whose replies, once EXEC runs, no client could
   * match, and the transaction with it (see refusalInTransaction). It is refused as the server
   * refuses a command it cannot queue: an ECHO without its argument goes in its place, which the
   * server refuses at once and which makes it answer EXEC with EXECABORT. Nothing of the
   * transaction runs, MULTI never stays open, and every reply keeps its order.
   */
  refuseInTransaction(request: Request, name: string): void {
    if (this.#refusedTransaction !== null) {
      // Nothing of a transaction whose MULTI was refused may run: it would run outside MULTI.
      const { refusal } = this.#refusedTransaction;
      if (request.kind === CommandKind.Exec || request.kind === CommandKind.Discard)
        this.#refusedTransaction = null;
      if (request.kind !== CommandKind.Reset) {
        refuse(request, refusal);
        return;
      }
      this.#refusedTransaction = null;
    }
    if (request.kind === CommandKind.Multi && this.#refusesMulti()) {
      const refusal = new TypeError(
        'MULTI on a RESP2 connection that holds or awaits subscriptions is refused (the server refuses it while subscribed), and its transaction with it',
      );
      refuse(request, refusal);
      this.#refusedTransaction = { multi: request, refusal };
      return;
    }
    if (this.#transactionSurplus < 0) return;
    const why = this.#refusalInTransaction(request, name);
    if (why !== null)
      refuse(
        request,
        new TypeError(`${name.toUpperCase()} inside MULTI ${why} (the transaction is discarded)`),
      );
  }

  /**
   * RESP2: the server refuses MULTI while subscribed, and whether it still is when MULTI runs
   * depends on replies not received yet. Refused here, so that the transaction written is the
   * transaction the server opens.
   */
  #refusesMulti(): boolean {
    return (
      this.#mayBeResp2() &&
      !this.inTransaction &&
      (this.#subscriptions.total > 0 || this.#subscribesInFlight > 0)
    );
  }

  #refusalInTransaction(request: Request, name: string): string | null {
    switch (request.kind) {
      case CommandKind.Unsubscribe:
        // Confirmed once per channel held when EXEC runs, which is not known now.
        return request.confirming?.remaining === -1
          ? 'must name its channels: without names its confirmations cannot be matched'
          : null;
      case CommandKind.Hello:
        return 'is refused: it would switch the protocol while EXEC runs, past the replies that follow';
      case CommandKind.Monitor:
        return 'is refused: the server does not run MONITOR in a transaction';
      case CommandKind.Subscribe:
      case CommandKind.Exec:
      case CommandKind.Discard:
      case CommandKind.Reset:
        return null;
    }
    // RESP2: once a queued SUBSCRIBE has run, a message published while EXEC runs (by a
    // PUBLISH, a keyspace event) is written inside EXEC's array, where it cannot be told from a
    // reply. The server's own rule for a subscribed RESP2 connection, applied at queue time.
    if (this.#transactionSubscribes && name.toUpperCase() !== 'PING')
      return 'is refused: after a SUBSCRIBE in the same transaction, RESP2 allows only the subscribe commands and PING';
    return null;
  }

  /** Replies nobody asked for are expected: MONITOR lines, or RESP2 pub/sub while subscribed. */
  expectsUnasked(): boolean {
    return (
      this.monitoring ||
      (!this.resp3 && (this.#subscribesInFlight > 0 || this.#subscriptions.total > 0))
    );
  }

  /** What a settled command changes: RESET and HELLO switch the protocol, EXEC may subscribe. */
  #noteSettled(head: Request, reply: Reply): void {
    if (head.refused) return;
    switch (head.kind) {
      case CommandKind.Monitor:
        this.#monitorsInFlight--;
        if (reply === 'OK') this.#monitorConfirmed = true;
        break;
      case CommandKind.Multi:
        if (reply === 'OK') this.#serverInTransaction = true;
        // The opening MULTI refused (NOPERM, say): no transaction is open.
        else if (head === this.#openingMulti) this.#endTransaction();
        break;
      case CommandKind.Discard:
        if (reply === 'OK') this.#serverInTransaction = false;
        break;
      case CommandKind.Exec:
        this.#serverInTransaction = false;
        this.#subscriptions.applyNested(reply, (item) =>
          item instanceof Push ? item.values : !this.resp3 && Array.isArray(item) ? item : null,
        );
        break;
      case CommandKind.Reset:
        if (reply === 'RESET') {
          this.#subscriptions = new SubscriptionTracker();
          this.#monitorsInFlight = 0;
          this.#monitorConfirmed = false;
          this.#serverInTransaction = false;
          this.resp3 = false;
        }
        break;
      case CommandKind.Hello: {
        this.#hellosInFlight--;
        const protocol = helloProtocol(reply);
        if (protocol !== 0) this.resp3 = protocol === 3;
      }
    }
  }

  /**
   * EXEC of a transaction that queued a subscribe command naming several channels: the server
   * counts that command as one element of EXEC's array but writes one confirmation per channel,
   * so the frames after the array still belong to it.
   */
  #execPart(head: Request, confirming: Confirming, reply: Reply): void {
    if (confirming.parts == null) {
      if (!Array.isArray(reply)) {
        // Aborted (null) or refused (EXECABORT): nothing ran, nothing follows.
        this.#settleHead(head, reply);
        return;
      }
      confirming.parts = reply;
      return;
    }
    confirming.parts.push(reply);
    if (--confirming.remaining === 0) this.#settleHead(head, confirming.parts);
  }

  /**
   * Redis 7.0 writes a push made while EXEC runs (a message published to a channel this
   * connection holds, an invalidation) inside EXEC's array, where it takes the place of a
   * command's reply, which then follows the array. The push goes to the listeners; the replies
   * after the array complete EXEC's.
   */
  #execWithPushes(head: Request, reply: Reply[]): boolean {
    if (head.confirming?.parts != null) return false;
    let strays = 0;
    for (const item of reply)
      if (item instanceof Push && confirmationKind(item.values) === '') strays++;
    if (strays === 0) return false;
    const kept: Reply[] = [];
    for (const item of reply) {
      if (item instanceof Push && confirmationKind(item.values) === '') this.#host.notifyPush(item);
      else kept.push(item);
    }
    const remaining = (head.confirming?.remaining ?? 0) + strays;
    head.confirming = { kind: 'exec', remaining, parts: kept };
    return true;
  }

  #settleHead(head: Request, reply: Reply): void {
    if (this.#refusedTransaction?.multi === head) this.#refusedTransaction = null;
    if (head.wire !== null && reply instanceof ReplyError)
      reply = redactError(String(head.wire[0]), head.wire.slice(1), reply) as ReplyError;
    else if (head.execRedaction !== null) reply = head.execRedaction.forCaller(reply);
    this.#shiftHead(head);
    head.complete(reply);
    if (head.kind !== CommandKind.Plain) this.#noteSettled(head, reply);
    this.#host.headSettled(head);
    if (reply instanceof ReplyError) this.#host.errorReply(reply);
  }

  /** Takes the head off the written queue. */
  #shiftHead(head: Request): void {
    this.written.shift();
    if (head.kind === CommandKind.Plain) return;
    if (head.kind === CommandKind.Subscribe && !head.refused) this.#subscribesInFlight--;
  }

  onReply(reply: Reply): void {
    const head = this.written.peek();
    if (head === undefined) {
      this.#unasked(reply);
      return;
    }
    const confirming = head.confirming;
    if (head.kind === CommandKind.Exec && this.resp3 && Array.isArray(reply)) {
      if (this.#execWithPushes(head, reply)) return;
    }
    // After EXEC's array, a RESP2 message is still a message; other frames belong to EXEC.
    if (
      confirming !== null &&
      head.kind === CommandKind.Exec &&
      !(confirming.parts != null && !this.resp3 && isMessage(reply))
    ) {
      this.#execPart(head, confirming, reply);
      return;
    }
    if (this.#monitorConfirmed && typeof reply === 'string' && isMonitorLine(reply)) {
      this.#unasked(reply);
      return;
    }
    if (this.#resp2PubSubNow(head) && this.#routeResp2PubSub(head, reply)) return;
    this.#settleHead(head, reply);
  }

  /** RESP2 pub/sub frames are ordinary arrays: messages and confirmations go to receive(). */
  #routeResp2PubSub(head: Request, reply: Reply): boolean {
    if (isMessage(reply)) {
      this.#unasked(reply);
      return true;
    }
    const kind = Array.isArray(reply) ? confirmationKind(reply) : '';
    if (kind === '') return false;
    // Into the stream first: the confirmation may end the subscribed state.
    this.#host.toOwner(reply);
    this.#confirmation(head, kind, (reply as Reply[])[2] ?? null);
    return true;
  }

  onPush(push: Push): void {
    const head = this.written.peek();
    // A confirmation frame written past the end of EXEC's array is part of EXEC's reply.
    const kind = confirmationKind(push.values);
    if (head?.confirming?.parts != null && kind !== '') {
      this.#execPart(head, head.confirming, push);
      return;
    }
    if (kind !== '') this.#confirmation(head, kind, push.values[2] ?? null);
    this.#host.notifyPush(push);
  }

  /** A subscription confirmation: it counts towards the head when the head is its command. */
  #confirmation(head: Request | undefined, kind: string, count: Reply): void {
    const confirming = head?.confirming;
    if (head !== undefined && confirming != null && confirming.kind === kind) {
      if (confirming.remaining < 0) confirming.remaining = this.#subscriptions.expectedForAll(kind);
      if (--confirming.remaining === 0) {
        this.#shiftHead(head);
        head.confirm();
        this.#subscriptions.apply(kind, count);
        this.#host.headSettled(head);
        return;
      }
    }
    this.#subscriptions.apply(kind, count);
  }

  /** A reply with no command waiting: data on a MONITOR or RESP2 pub/sub connection, else a fault. */
  #unasked(reply: Reply): void {
    if (!this.expectsUnasked()) {
      throw new ProtocolError(
        'the server sent a reply no command was waiting for',
        this.#host.bytesRead(),
      );
    }
    this.#host.toOwner(reply);
  }
}

/** A command every server refuses while queueing a transaction (wrong arity): EXEC then aborts. */
const TRANSACTION_SPOILER = 'ECHO';

/** Writes the spoiler in the place of `request`, which fails with `refusal` when it is answered. */
function refuse(request: Request, refusal: TypeError): void {
  request.standIn([TRANSACTION_SPOILER], refusal);
}

/** The protocol a HELLO reply reports (its `proto` field), or 0 when it is not one. */
function helloProtocol(reply: Reply): number {
  const entries: [Reply, Reply][] = [];
  if (reply instanceof Map) entries.push(...reply.entries());
  else if (Array.isArray(reply))
    for (let index = 0; index + 1 < reply.length; index += 2)
      entries.push([reply[index]!, reply[index + 1]!]);
  for (const [key, value] of entries)
    if (String(key) === 'proto' && (value === 2 || value === 3)) return value;
  return 0;
}

/** A MONITOR line: `1700000000.123456 [0 127.0.0.1:50000] "GET" "key"`. */
function isMonitorLine(text: string): boolean {
  return /^\d+\.\d+ \[\d+ /.test(text);
}
