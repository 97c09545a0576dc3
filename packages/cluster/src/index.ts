export {
  type CommandInfo,
  CommandTable,
  keyIndexes,
  type RequestPolicy,
  type ResponsePolicy,
} from './command-table.js';
export { crc16, keySlot, SLOT_COUNT } from './key-slot.js';
export type { BeginSearch, FindKeys, KeySpec } from './key-specs.js';
