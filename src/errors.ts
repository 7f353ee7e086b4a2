/**
 * Errors that become error replies. Anything thrown from a command handler
 * that is a `ReplyError` is sent to the client as `-<message>`; the message is
 * Redis's text byte for byte, including its leading code ("ERR", "WRONGTYPE" …).
 */
export class ReplyError extends Error {}

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const SYNTAX_ERROR = "ERR syntax error";
export const NOT_AN_INTEGER = "ERR value is not an integer or out of range";
export const NOT_A_FLOAT = "ERR value is not a valid float";
export const NO_SUCH_KEY = "ERR no such key";
export const INDEX_OUT_OF_RANGE = "ERR index out of range";

/** The error for a key that holds another type. */
export class WrongTypeError extends ReplyError {
  constructor() {
    super(WRONGTYPE);
  }
}

/** Throws a ReplyError with Redis's text. */
export function fail(message: string): never {
  throw new ReplyError(message);
}
