/**
 * Numbers as Redis 7.0 reads and writes them (src/util.c, object.c,
 * t_string.c), byte for byte.
 *
 * Integers. Redis integers are int64 (`string2ll`: no sign but `-`, no
 * leading zeros, no spaces, at most 20 bytes). JS numbers are exact only up to
 * 2^53 - 1, so:
 * - {@link parseSafeInt} is the fast path: a number when the text is a valid
 *   integer within ±(2^53 - 1), else undefined;
 * - {@link parseInt64} is exact over the whole int64 range (a bigint);
 * - {@link parseLongLong} validates like `string2ll` and returns a number,
 *   rounded beyond 2^53: for arguments that are only compared or clamped
 *   (LRANGE indexes, COUNT options) where precision does not matter;
 * - {@link incrByInteger} is INCR/INCRBY/DECRBY's arithmetic: number fast path,
 *   bigint beyond it, Redis's overflow error.
 *
 * Floats. Two parsers, as in Redis: {@link parseDouble} is `string2d`
 * (`strtod`), used for ZADD scores and other double arguments;
 * {@link parseLongDouble} is `string2ld` (`strtold`, at most 5119 bytes), used
 * by INCRBYFLOAT and HINCRBYFLOAT. Both accept what glibc accepts and Redis
 * lets through: decimal (`1e5`, `.5`, `5.`, `+5`), hexadecimal floats (`0x10`,
 * `0x1.8p1`), `inf`/`infinity` in any case; they reject spaces anywhere, empty
 * text, NaN, trailing bytes, and values that overflow or underflow to zero.
 *
 * INCRBYFLOAT computes in the x87 80-bit `long double` and prints it with
 * `%.17Lf`, trimming zeros. Doubles cannot reproduce that (10.5 + 0.1 would
 * print 10.59999999999999964), so {@link LongDouble} emulates the format
 * exactly: 64-bit significand, round-half-even, subnormals, 15-bit exponent,
 * with bigint arithmetic. Results are identical to Redis on x86-64.
 *
 * Doubles are printed by {@link formatDouble} as `%.17g` (glibc, ties to even),
 * which is what ZSCORE and friends reply in Redis 7.0.
 *
 * @module
 */
import { ReplyError } from "../errors.ts";

/** Redis's error when INCR/INCRBY/DECR/DECRBY would leave the int64 range. */
export const INCR_OVERFLOW = "ERR increment or decrement would overflow";
/** Redis's error when INCRBYFLOAT/HINCRBYFLOAT would produce NaN or ±inf. */
export const FLOAT_INCR_NAN_OR_INFINITY = "ERR increment would produce NaN or Infinity";
const NOT_AN_INTEGER = "ERR value is not an integer or out of range";

/** Redis's LONG_STR_SIZE: string2ll rejects text of this many bytes or more. */
const LONG_STR_SIZE = 21;
/** Redis's MAX_LONG_DOUBLE_CHARS: string2ld rejects text of this many bytes or more. */
export const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

const INT64_MAX = 0x7fffffffffffffffn;
const INT64_MIN = -0x8000000000000000n;

// ---------------------------------------------------------------- integers

/**
 * Checks `s` against string2ll's grammar (`0`, or `-`? then 1–9 then digits,
 * under 21 bytes) and returns the number of digits, or 0 when it does not fit.
 * The int64 range is not checked here.
 */
function integerDigits(s: string): number {
  const len = s.length;
  if (len === 0 || len >= LONG_STR_SIZE) return 0;
  let i = 0;
  if (s.charCodeAt(0) === 0x2d) { // '-'
    i = 1;
    if (len === 1) return 0;
  } else if (len === 1 && s.charCodeAt(0) === 0x30) {
    return 1; // "0"; "-0" and "01" are not integers
  }
  const first = s.charCodeAt(i);
  if (first < 0x31 || first > 0x39) return 0;
  for (let j = i + 1; j < len; j++) {
    const c = s.charCodeAt(j);
    if (c < 0x30 || c > 0x39) return 0;
  }
  return len - i;
}

/** For 19-digit text: whether it is within int64 (string compare of equal lengths). */
function nineteenDigitsFit(s: string): boolean {
  return s.charCodeAt(0) === 0x2d
    ? s.slice(1) <= "9223372036854775808"
    : s <= "9223372036854775807";
}

/** Whether `s` is an int64 in string2ll's strict form. */
function isInt64Text(s: string): boolean {
  const digits = integerDigits(s);
  if (digits === 0 || digits > 19) return false;
  return digits < 19 || nineteenDigitsFit(s);
}

/**
 * `string2ll` exactly: the int64 value of `s`, or undefined when `s` is not an
 * integer Redis accepts ("-0", "+1", " 1", "01", "1.0" and out-of-range values
 * are not).
 */
export function parseInt64(s: string): bigint | undefined {
  return isInt64Text(s) ? BigInt(s) : undefined;
}

/**
 * The fast path of {@link parseInt64}: the value as a number when `s` is a
 * valid integer within ±(2^53 - 1), else undefined (also for valid integers
 * beyond that, which need {@link parseInt64}).
 */
export function parseSafeInt(s: string): number | undefined {
  const digits = integerDigits(s);
  if (digits === 0 || digits > 16) return undefined;
  const negative = s.charCodeAt(0) === 0x2d;
  let v = 0;
  for (let i = negative ? 1 : 0; i < s.length; i++) v = v * 10 + (s.charCodeAt(i) - 0x30);
  // Up to 2^53 - 1 every step is exact; past it the result is ≥ 2^53.
  if (v > Number.MAX_SAFE_INTEGER) return undefined;
  return negative ? -v : v;
}

/**
 * `string2ll`'s validation with a number result: exact within ±(2^53 - 1),
 * the nearest double beyond. For integer arguments that are only compared or
 * clamped (ranges, counts); use {@link parseInt64} where every unit matters.
 */
export function parseLongLong(s: string): number | undefined {
  const safe = parseSafeInt(s);
  if (safe !== undefined) return safe;
  return isInt64Text(s) ? Number(s) : undefined;
}

/**
 * Whether a string value would get OBJECT ENCODING "int": at most 20 bytes
 * and `string2l` accepts it (long is 64-bit on the platforms Redis targets).
 */
export function isIntegerEncodable(s: string): boolean {
  return s.length <= 20 && isInt64Text(s);
}

/** `ll2string`: the decimal text of an integer (`-0` prints as "0"). */
export function formatInteger(n: number | bigint): string {
  return typeof n === "number" && n === 0 ? "0" : String(n);
}

/** `a + b` when it stays within int64, else undefined. */
export function addInt64(a: bigint, b: bigint): bigint | undefined {
  const sum = a + b;
  return sum > INT64_MAX || sum < INT64_MIN ? undefined : sum;
}

/**
 * INCR/INCRBY/DECR/DECRBY's arithmetic on a stored string: returns the new
 * value's text. `current` undefined means a missing key (0). `delta` must be
 * an int64 the caller already parsed (DECRBY negates it first, and must reject
 * -2^63 itself with Redis's "ERR decrement would overflow").
 * @throws ReplyError "ERR value is not an integer or out of range" when the
 * current value is not an integer, or {@link INCR_OVERFLOW}.
 */
export function incrByInteger(current: string | undefined, delta: number | bigint): string {
  if (typeof delta === "number") {
    const value = current === undefined ? 0 : parseSafeInt(current);
    if (value !== undefined && Number.isSafeInteger(delta)) {
      const sum = value + delta;
      if (Number.isSafeInteger(sum)) return formatInteger(sum);
    }
    delta = BigInt(delta);
  }
  const value = current === undefined ? 0n : parseInt64(current);
  if (value === undefined) throw new ReplyError(NOT_AN_INTEGER);
  const sum = addInt64(value, delta);
  if (sum === undefined) throw new ReplyError(INCR_OVERFLOW);
  return sum.toString();
}

// ------------------------------------------------ binary floating point core

/** A binary floating-point format: significand bits and exponent range. */
interface BinaryFormat {
  /** Significand bits, including the leading one. */
  precision: number;
  /** Exponent of the least significant bit of the smallest subnormal. */
  minLsb: number;
  /** Values at or above 2^maxBits overflow. */
  maxBits: number;
}

/** x87 extended precision, C's `long double` on x86-64. */
const EXTENDED: BinaryFormat = { precision: 64, minLsb: -16445, maxBits: 16384 };
/** IEEE 754 binary64. */
const BINARY64: BinaryFormat = { precision: 53, minLsb: -1074, maxBits: 1024 };

/** An unsigned rounded result: mantissa × 2^exponent, or overflow. */
interface Rounded {
  mantissa: bigint;
  exponent: number;
  overflow: boolean;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * Rounds the positive value `(n + ε) × 2^e` to `format`, to nearest with ties
 * to even, where ε is 0 when `sticky` is false and in (0, 1) otherwise.
 * With `sticky`, `n` must carry at least precision + 2 bits.
 */
function roundTo(n: bigint, e: number, sticky: boolean, format: BinaryFormat): Rounded {
  const bits = bitLength(n);
  if (bits === 0) return { mantissa: 0n, exponent: 0, overflow: false };
  const lsb = Math.max(e + bits - format.precision, format.minLsb);
  let mantissa: bigint;
  let exponent: number;
  if (lsb <= e) {
    mantissa = n;
    exponent = e;
  } else {
    const drop = lsb - e;
    if (drop > bits + 1) {
      // Far below half the smallest step: rounds to zero.
      return { mantissa: 0n, exponent: 0, overflow: false };
    }
    const shift = BigInt(drop);
    mantissa = n >> shift;
    const rest = n - (mantissa << shift);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (sticky || (mantissa & 1n) === 1n))) mantissa += 1n;
    exponent = lsb;
    if (bitLength(mantissa) > format.precision) {
      mantissa >>= 1n;
      exponent += 1;
    }
  }
  const overflow = mantissa !== 0n && bitLength(mantissa) + exponent > format.maxBits;
  return { mantissa, exponent, overflow };
}

/** The shape of a floating-point text strtod accepts, or undefined. */
interface FloatText {
  negative: boolean;
  kind: "inf" | "decimal" | "hex";
  /** Integer and fraction digits, without the point. */
  digits: string;
  /** How many of `digits` follow the point. */
  fractionDigits: number;
  /** The exponent after `e`/`p`, saturated to ±1e9. */
  exponent: number;
}

const DECIMAL_TEXT = /^([+-]?)(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const HEX_TEXT =
  /^([+-]?)0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const INF_TEXT = /^([+-]?)(?:inf|infinity)$/i;

/**
 * Parses the grammar strtod accepts for the whole text (NaN excluded: Redis
 * rejects it). Text that strtod would only partly consume is rejected, as
 * Redis does by comparing the end pointer with the length.
 */
function scanFloatText(s: string): FloatText | undefined {
  let m = DECIMAL_TEXT.exec(s);
  let kind: FloatText["kind"] = "decimal";
  if (m === null) {
    m = HEX_TEXT.exec(s);
    kind = "hex";
    if (m === null) {
      const inf = INF_TEXT.exec(s);
      if (inf === null) return undefined;
      return { negative: inf[1] === "-", kind: "inf", digits: "", fractionDigits: 0, exponent: 0 };
    }
  }
  const intPart = m[2] ?? "";
  const fraction = m[3] ?? m[4] ?? "";
  let exponent = 0;
  if (m[5] !== undefined) {
    const e = Number(m[5]);
    exponent = e > 1e9 ? 1e9 : e < -1e9 ? -1e9 : e;
  }
  return {
    negative: m[1] === "-",
    kind,
    digits: intPart + fraction,
    fractionDigits: fraction.length,
    exponent,
  };
}

/**
 * The exact value of a scanned decimal or hex text rounded to `format`:
 * undefined on overflow, or when a nonzero value rounds to zero (strtod's
 * ERANGE cases that Redis rejects).
 */
function textToBinary(t: FloatText, format: BinaryFormat): Rounded | undefined {
  const digits = t.digits.replace(/^0+/, "");
  if (digits === "") return { mantissa: 0n, exponent: 0, overflow: false };
  let r: Rounded;
  if (t.kind === "hex") {
    const e2 = t.exponent - 4 * t.fractionDigits;
    const magnitude = e2 + 4 * digits.length; // 2^(magnitude-4) <= value < 2^magnitude
    if (magnitude - 4 > format.maxBits) return undefined;
    if (magnitude < format.minLsb - 1) return undefined;
    r = roundTo(BigInt("0x" + digits), e2, false, format);
  } else {
    const e10 = t.exponent - t.fractionDigits;
    // value is in [10^(magnitude-1), 10^magnitude); 10^k > 2^(3.32k).
    const magnitude = e10 + digits.length;
    if (magnitude > Math.ceil(format.maxBits * 0.30103) + 1) return undefined;
    if (magnitude < Math.floor(format.minLsb * 0.30103) - 1) return undefined;
    const d = BigInt(digits);
    if (e10 >= 0) {
      r = roundTo(d * 10n ** BigInt(e10), 0, false, format);
    } else {
      const den = 10n ** BigInt(-e10);
      const k = Math.max(0, format.precision + 2 + bitLength(den) - bitLength(d) + 1);
      const scaled = d << BigInt(k);
      const q = scaled / den;
      r = roundTo(q, -k, q * den !== scaled, format);
    }
  }
  if (r.overflow || r.mantissa === 0n) return undefined;
  return r;
}

// ------------------------------------------------------------------- doubles

/** Scratch space for taking a double apart. */
const scratch = new DataView(new ArrayBuffer(8));

/** A rounded BINARY64 result as a JS number. */
function binary64ToNumber(r: Rounded, negative: boolean): number {
  // mantissa < 2^53 and the exponent is in range, so this product is exact
  // except that 2^exponent alone may underflow: split the scaling in two.
  const m = Number(r.mantissa);
  const e = r.exponent;
  const half = Math.trunc(e / 2);
  const value = m * Math.pow(2, half) * Math.pow(2, e - half);
  return negative ? -value : value;
}

/**
 * `string2d` / `getDoubleFromObject`: the double value of `s` as Redis reads
 * a ZADD score, or undefined when Redis answers "value is not a valid float".
 * Accepts `inf`, `+inf`, `-infinity` (any case) and hex floats; rejects NaN,
 * spaces, empty text, trailing bytes, overflow and underflow to zero.
 */
export function parseDouble(s: string): number | undefined {
  const t = scanFloatText(s);
  if (t === undefined) return undefined;
  if (t.kind === "inf") return t.negative ? -Infinity : Infinity;
  if (t.kind === "decimal") {
    // JS and glibc both round decimal text correctly (ties to even).
    const value = Number(s);
    if (!Number.isFinite(value)) return undefined;
    if (value === 0 && /[1-9]/.test(t.digits)) return undefined;
    return value;
  }
  const r = textToBinary(t, BINARY64);
  if (r === undefined) return undefined;
  return binary64ToNumber(r, t.negative);
}

const LOG10_5 = Math.log10(5);

/** The digits of `%.17g` before layout: 17 significant digits and the exponent. */
function significant17(x: number): { digits: string; exponent: number } {
  const text = x.toExponential(16); // "d.dddddddddddddddde±x", x > 0
  const e = text.indexOf("e");
  let digits = text[0] + text.slice(2, e);
  let exponent = Number(text.slice(e + 1));
  // V8 rounds ties away from zero, glibc to even. A tie needs the exact value
  // to have exactly 18 significant digits, which takes a fraction of at most
  // 25 bits (m × 5^k < 10^18 with m odd): check only those.
  if (!Number.isInteger(x) && Number.isInteger(x * 33554432)) {
    let k = 1;
    while (!Number.isInteger(x * 2 ** k)) k++;
    // The exact value is m × 5^k / 10^k: only one of 18 digits (log10 ≥ 17) can
    // tie, so the BigInt work is skipped for short ones like 1.5 (with margin).
    const m = x * 2 ** k;
    const exact = Math.log10(m) + k * LOG10_5 > 16.5
      ? (BigInt(m) * 5n ** BigInt(k)).toString()
      : "";
    if (exact.length === 18) {
      // Ties to even: keep the first 17 digits, add one only if the 17th is odd.
      let kept = BigInt(exact.slice(0, 17));
      if ((kept & 1n) === 1n) kept += 1n;
      const keptText = kept.toString();
      const intDigits = exact.length - k; // digits before the point in the exact value
      if (keptText.length > 17) {
        digits = keptText.slice(0, 17);
        exponent = intDigits;
      } else {
        digits = keptText;
        exponent = intDigits - 1;
      }
    }
  }
  return { digits, exponent };
}

/**
 * `%.17g` as glibc prints it, which is what Redis 7.0 replies for scores
 * (`addReplyDouble`) and stores in listpacks (`d2string`): "0.10000000000000001",
 * "3", "1e+17", "1.5e-07", "-0", "inf", "-inf", "nan".
 */
export function formatDouble(x: number): string {
  if (Number.isSafeInteger(x)) return x === 0 && 1 / x < 0 ? "-0" : String(x);
  if (x !== x) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  const negative = x < 0;
  const ax = negative ? -x : x;
  // Fast path: a value with few fraction bits is exactly a short decimal
  // (m × 5^k / 10^k). With at most 15 significant digits no shorter decimal
  // names the same double, so JS's shortest form is that exact value, and in
  // this range both print it without an exponent.
  if (ax >= 1e-4 && ax < 1e15 && Number.isInteger(ax * 33554432)) {
    let k = 1;
    while (!Number.isInteger(ax * 2 ** k)) k++;
    if (Math.log10(ax * 2 ** k) + k * LOG10_5 < 14.5) return String(x);
  }
  const { digits, exponent } = significant17(ax);
  const trimmed = digits.replace(/0+$/, "");
  let body: string;
  if (exponent < -4 || exponent >= 17) {
    const mantissa = trimmed.length > 1 ? trimmed[0] + "." + trimmed.slice(1) : trimmed;
    const e = Math.abs(exponent);
    body = mantissa + (exponent < 0 ? "e-" : "e+") + (e < 10 ? "0" + e : String(e));
  } else if (exponent < 0) {
    body = "0." + "0".repeat(-exponent - 1) + trimmed;
  } else if (trimmed.length > exponent + 1) {
    body = trimmed.slice(0, exponent + 1) + "." + trimmed.slice(exponent + 1);
  } else {
    body = trimmed + "0".repeat(exponent + 1 - trimmed.length);
  }
  return negative ? "-" + body : body;
}

// ------------------------------------------------------------- long doubles

/**
 * An x87 80-bit `long double`: (-1)^negative × mantissa × 2^exponent, with
 * mantissa < 2^64 (0n for zero), or a special value.
 */
export interface LongDouble {
  readonly kind: "finite" | "inf" | "nan";
  /** The sign bit (also for -0 and -inf). */
  readonly negative: boolean;
  readonly mantissa: bigint;
  readonly exponent: number;
}

function finite(negative: boolean, mantissa: bigint, exponent: number): LongDouble {
  return { kind: "finite", negative, mantissa, exponent };
}

/**
 * `string2ld`: the long double value of `s` as INCRBYFLOAT reads it, or
 * undefined when Redis answers "value is not a valid float". Same grammar as
 * {@link parseDouble}, but with long double range and precision (so "1e-400"
 * is accepted) and a limit of 5119 bytes.
 */
export function parseLongDouble(s: string): LongDouble | undefined {
  if (s.length >= MAX_LONG_DOUBLE_CHARS) return undefined;
  const t = scanFloatText(s);
  if (t === undefined) return undefined;
  if (t.kind === "inf") return { kind: "inf", negative: t.negative, mantissa: 0n, exponent: 0 };
  const r = textToBinary(t, EXTENDED);
  if (r === undefined) return undefined;
  return finite(t.negative, r.mantissa, r.exponent);
}

/** A JS number as a long double (exact: every double is a long double). */
export function longDoubleFromNumber(x: number): LongDouble {
  if (x !== x) return { kind: "nan", negative: false, mantissa: 0n, exponent: 0 };
  const negative = x < 0 || (x === 0 && 1 / x < 0);
  if (!Number.isFinite(x)) return { kind: "inf", negative, mantissa: 0n, exponent: 0 };
  if (x === 0) return finite(negative, 0n, 0);
  scratch.setFloat64(0, Math.abs(x));
  const bits = scratch.getBigUint64(0);
  const biased = Number(bits >> 52n);
  const fraction = bits & 0xfffffffffffffn;
  return biased === 0
    ? finite(negative, fraction, -1074)
    : finite(negative, fraction | 0x10000000000000n, biased - 1075);
}

/** The nearest double to a long double (ties to even), as a C cast does. */
export function longDoubleToNumber(x: LongDouble): number {
  if (x.kind === "nan") return NaN;
  if (x.kind === "inf") return x.negative ? -Infinity : Infinity;
  const r = roundTo(x.mantissa, x.exponent, false, BINARY64);
  if (r.overflow) return x.negative ? -Infinity : Infinity;
  if (r.mantissa === 0n) return x.negative ? -0 : 0;
  return binary64ToNumber(r, x.negative);
}

/** Whether a long double is neither infinite nor NaN. */
export function isFiniteLongDouble(x: LongDouble): boolean {
  return x.kind === "finite";
}

/** `a + b` in long double arithmetic, rounded once to nearest, ties to even. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.kind === "nan" || b.kind === "nan") return { ...a, kind: "nan" };
  if (a.kind === "inf" || b.kind === "inf") {
    if (a.kind === "inf" && b.kind === "inf" && a.negative !== b.negative) {
      return { kind: "nan", negative: false, mantissa: 0n, exponent: 0 };
    }
    return a.kind === "inf" ? a : b;
  }
  if (a.mantissa === 0n && b.mantissa === 0n) {
    return finite(a.negative && b.negative, 0n, 0); // -0 + -0 = -0, else +0
  }
  if (a.mantissa === 0n) return b;
  if (b.mantissa === 0n) return a;
  const e = Math.min(a.exponent, b.exponent);
  const sa = a.mantissa << BigInt(a.exponent - e);
  const sb = b.mantissa << BigInt(b.exponent - e);
  const sum = (a.negative ? -sa : sa) + (b.negative ? -sb : sb);
  if (sum === 0n) return finite(false, 0n, 0);
  const negative = sum < 0n;
  const r = roundTo(negative ? -sum : sum, e, false, EXTENDED);
  if (r.overflow) return { kind: "inf", negative, mantissa: 0n, exponent: 0 };
  return finite(negative, r.mantissa, r.exponent);
}

const TEN_POW_17 = 10n ** 17n;

/**
 * `ld2string(LD_STR_HUMAN)`: `%.17Lf` with the trailing zeros (and a bare
 * point) removed and "-0" turned into "0": the text INCRBYFLOAT and
 * HINCRBYFLOAT store and reply ("10.6", "3000", "0.00000381469726562").
 * Infinities print as "inf"/"-inf"; NaN as "nan" (Redis never stores it).
 */
export function formatLongDouble(x: LongDouble): string {
  if (x.kind === "inf") return x.negative ? "-inf" : "inf";
  if (x.kind === "nan") return "nan";
  let text: string;
  if (x.exponent >= 0) {
    text = (x.mantissa << BigInt(x.exponent)).toString();
  } else {
    // round(value × 10^17), ties to even, as glibc's printf does.
    const shift = BigInt(-x.exponent);
    const scaled = x.mantissa * TEN_POW_17;
    let q = scaled >> shift;
    const rest = scaled - (q << shift);
    const half = 1n << (shift - 1n);
    if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
    const digits = q.toString().padStart(18, "0");
    const point = digits.length - 17;
    text = (digits.slice(0, point) + "." + digits.slice(point)).replace(/\.?0+$/, "");
  }
  if (x.negative && text !== "0") text = "-" + text;
  return text;
}

/**
 * INCRBYFLOAT/HINCRBYFLOAT's arithmetic once both operands are parsed: the
 * text of `value + increment`, as Redis stores and replies it.
 * @throws ReplyError {@link FLOAT_INCR_NAN_OR_INFINITY} when the sum is NaN or infinite.
 */
export function incrByLongDouble(value: LongDouble, increment: LongDouble): string {
  const sum = addLongDouble(value, increment);
  if (sum.kind !== "finite") throw new ReplyError(FLOAT_INCR_NAN_OR_INFINITY);
  return formatLongDouble(sum);
}
