/**
 * A cursor over a command's optional arguments, in the style of mini-redis's
 * `Parse`: take tokens one at a time, then `finish()` so that leftovers are an
 * error. Errors are Redis's texts (`ERR syntax error` for a missing or extra
 * token, `ERR value is not an integer or out of range` for a bad integer).
 */
import { fail, NOT_AN_INTEGER, SYNTAX_ERROR } from "../errors.ts";
import { parseLongLong } from "../util/numbers.ts";

/** Walks `argv` from index `from` on. */
export class ArgParser {
  #argv: readonly string[];
  #pos: number;

  constructor(argv: readonly string[], from: number) {
    this.#argv = argv;
    this.#pos = from;
  }

  /** How many arguments are left. */
  get remaining(): number {
    return this.#argv.length - this.#pos;
  }

  /** The next argument; `ERR syntax error` when there is none. */
  next(): string {
    if (this.#pos >= this.#argv.length) fail(SYNTAX_ERROR);
    return this.#argv[this.#pos++];
  }

  /**
   * The next argument as an int64 (`string2ll`; a number, rounded beyond
   * 2^53, see `parseLongLong`); `ERR value is not an integer or out of range`
   * when it is not one.
   */
  nextInt(): number {
    const value = parseLongLong(this.next());
    if (value === undefined) fail(NOT_AN_INTEGER);
    return value;
  }

  /** The next argument upper-cased, without consuming it; undefined at the end. */
  peekUpper(): string | undefined {
    return this.#pos < this.#argv.length ? this.#argv[this.#pos].toUpperCase() : undefined;
  }

  /** Ends parsing: `ERR syntax error` when arguments are left over. */
  finish(): void {
    if (this.#pos < this.#argv.length) fail(SYNTAX_ERROR);
  }
}
