/**
 * What the person running a command gave cannot be used — a file that is missing or unreadable,
 * a folder without the keys it should hold, a file that is not what it should be. The command
 * line prints its message on one line (main.ts), as it does an answer's error, not as an
 * unexpected failure with a stack.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
}
