export { isFunctionNotFound, Library, type LibraryCallOptions } from './library.js';
export { runScripts, type ScriptCall, type ScriptResults } from './run-scripts.js';
export { isNoScript, Script, type ScriptOptions } from './script.js';
export type { Doer, ReplyConverter, Sender } from './types.js';
