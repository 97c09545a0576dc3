/** Placeholder until the CRC16 module lands. */
export function keySlot(_key: string | Uint8Array): number {
  throw new Error('not built yet');
}
