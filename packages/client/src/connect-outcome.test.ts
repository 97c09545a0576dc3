import { ReplyError } from '@x/resp';
import { describe, expect, it } from 'vitest';
import { answersPing, attemptFailure } from './connect-outcome.js';

describe('attemptFailure', () => {
  it.each([
    [new ReplyError('WRONGPASS invalid username-password pair'), true, 'refused'],
    [new ReplyError('NOAUTH Authentication required.'), true, 'refused'],
    [new ReplyError('ERR DB index is out of range'), true, 'refused'],
    [new ReplyError('LOADING Redis is loading the dataset in memory'), true, 'transient'],
    [new ReplyError('BUSY Redis is busy running a script'), true, 'transient'],
    [new ReplyError('ERR max number of clients reached'), true, 'transient'],
    [new RangeError('port must be a whole number'), true, 'unusable'],
    [new TypeError('host must be a string'), true, 'unusable'],
    // A dial function's bug is not the options': it may pass.
    [new TypeError("Cannot read properties of undefined (reading 'x')"), false, 'transient'],
    [new Error('connect ECONNREFUSED'), true, 'transient'],
  ])('%s (dial checked options: %s) is %s', (error, optionsChecked, expected) => {
    expect(attemptFailure(error, optionsChecked)).toBe(expected);
  });
});

describe('answersPing', () => {
  it.each([
    ["NOPERM User app has no permissions to run the 'ping' command", true],
    ["ERR unknown command 'PING', with args beginning with: ", true],
    ['NOAUTH Authentication required.', false],
    ['WRONGPASS invalid username-password pair', false],
    ['LOADING Redis is loading the dataset in memory', false],
    ['ERR max number of clients reached', false],
  ])('%s: %s', (message, ready) => {
    expect(answersPing(new ReplyError(message))).toBe(ready);
  });
});
