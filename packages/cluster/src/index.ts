export { keySlot } from './key-slot.js';
