// `node --import ./src/register-ts.mjs`: installs ts-hooks.mjs before the entry point loads.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
