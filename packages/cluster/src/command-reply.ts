import type { Reply } from '@x/resp';

// Readers for the parts of a COMMAND / COMMAND INFO reply. RESP2 gives key specs as flat
// [name, value, ...] arrays and flags as arrays; RESP3 gives maps and sets (sets decode as
// arrays). Bulk strings are Buffers, simple strings strings.

/** Reports a reply that does not have the shape of a COMMAND reply. */
export function malformed(what: string): TypeError {
  return new TypeError(`CommandTable: not a COMMAND reply (${what})`);
}

/** The text of a simple or bulk string. */
export function textOf(reply: Reply | undefined, what: string): string {
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  throw malformed(`${what} is not a string`);
}

/** An integer reply as a number. */
export function integerOf(reply: Reply | undefined, what: string): number {
  if (typeof reply === 'number' && Number.isInteger(reply)) return reply;
  throw malformed(`${what} is not an integer`);
}

/** An array (or RESP3 set) reply; `undefined` and `null` read as empty. */
export function listOf(reply: Reply | undefined, what: string): readonly Reply[] {
  if (reply === undefined || reply === null) return [];
  if (Array.isArray(reply)) return reply;
  throw malformed(`${what} is not an array`);
}

/** The fields of a RESP3 map or of a RESP2 flat [name, value, ...] array, by name. */
export function fieldsOf(reply: Reply | undefined, what: string): Map<string, Reply> {
  const fields = new Map<string, Reply>();
  if (reply instanceof Map) {
    for (const [name, value] of reply) fields.set(textOf(name, `${what} field name`), value);
    return fields;
  }
  const flat = listOf(reply, what);
  if (flat.length % 2 !== 0) throw malformed(`${what} has an odd number of elements`);
  for (let index = 0; index < flat.length; index += 2) {
    fields.set(textOf(flat[index], `${what} field name`), flat[index + 1] ?? null);
  }
  return fields;
}
