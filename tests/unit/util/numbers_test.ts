import assert from "node:assert/strict";
import { ReplyError } from "../../../src/errors.ts";
import {
  addInt64,
  addLongDouble,
  formatDouble,
  formatInteger,
  formatLongDouble,
  incrByInteger,
  incrByLongDouble,
  isFiniteLongDouble,
  isIntegerEncodable,
  longDoubleFromNumber,
  longDoubleToNumber,
  parseDouble,
  parseInt64,
  parseLongDouble,
  parseLongLong,
  parseSafeInt,
} from "../../../src/util/numbers.ts";

// Checked against redis-server 7.0.15 (INCRBY k 0 after SET k <text>, and
// OBJECT ENCODING): [text, value or undefined, OBJECT ENCODING after SET].
const INTEGERS: [string, bigint | undefined, string][] = [
  ["0", 0n, "int"],
  ["-0", undefined, "embstr"],
  ["+1", undefined, "embstr"],
  [" 1", undefined, "embstr"],
  ["1 ", undefined, "embstr"],
  ["01", undefined, "embstr"],
  ["-00", undefined, "embstr"],
  ["-", undefined, "embstr"],
  ["", undefined, "embstr"],
  ["1\x00", undefined, "embstr"],
  ["12", 12n, "int"],
  ["-99", -99n, "int"],
  ["9223372036854775807", 9223372036854775807n, "int"],
  ["9223372036854775808", undefined, "embstr"],
  ["-9223372036854775808", -9223372036854775808n, "int"],
  ["-9223372036854775809", undefined, "embstr"],
  ["18446744073709551616", undefined, "embstr"],
  ["99999999999999999999", undefined, "embstr"],
  ["12345678901234567890123", undefined, "embstr"],
];

Deno.test("parseInt64 accepts exactly what string2ll accepts", () => {
  for (const [text, value] of INTEGERS) assert.equal(parseInt64(text), value, JSON.stringify(text));
});

Deno.test("isIntegerEncodable says which strings Redis stores with the int encoding", () => {
  for (const [text, , encoding] of INTEGERS) {
    assert.equal(isIntegerEncodable(text), encoding === "int", JSON.stringify(text));
  }
});

Deno.test("parseSafeInt returns numbers within 2^53 and undefined beyond", () => {
  for (const [text, value] of INTEGERS) {
    const expected = value !== undefined && value <= 9007199254740991n &&
        value >= -9007199254740991n
      ? Number(value)
      : undefined;
    assert.equal(parseSafeInt(text), expected, JSON.stringify(text));
  }
  assert.equal(parseSafeInt("9007199254740991"), 9007199254740991);
  assert.equal(parseSafeInt("-9007199254740991"), -9007199254740991);
  assert.equal(parseSafeInt("9007199254740992"), undefined);
  assert.equal(parseSafeInt("9999999999999999"), undefined);
  assert.equal(parseSafeInt("1234567890123456"), 1234567890123456);
});

Deno.test("parseLongLong validates like string2ll and rounds beyond 2^53", () => {
  assert.equal(parseLongLong("42"), 42);
  assert.equal(parseLongLong("9223372036854775807"), 9223372036854775807);
  assert.equal(parseLongLong("-9223372036854775808"), -9223372036854775808);
  assert.equal(parseLongLong("9223372036854775808"), undefined);
  assert.equal(parseLongLong("-0"), undefined);
});

Deno.test("formatInteger prints like ll2string", () => {
  assert.equal(formatInteger(0), "0");
  assert.equal(formatInteger(-0), "0");
  assert.equal(formatInteger(-42), "-42");
  assert.equal(formatInteger(-9223372036854775808n), "-9223372036854775808");
});

function replyError(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof ReplyError) return e.message;
    throw e;
  }
  return undefined;
}

// Checked against redis-server 7.0.15.
Deno.test("incrByInteger works over the whole int64 range with Redis's overflow error", () => {
  assert.equal(incrByInteger(undefined, 1), "1");
  assert.equal(incrByInteger("41", 1), "42");
  assert.equal(incrByInteger("9007199254740991", 1), "9007199254740992");
  assert.equal(incrByInteger("0", -9223372036854775807n), "-9223372036854775807");
  assert.equal(incrByInteger("-9223372036854775807", -1), "-9223372036854775808");
  assert.equal(incrByInteger("9223372036854775806", 1n), "9223372036854775807");
  assert.equal(
    replyError(() => incrByInteger("9223372036854775807", 1)),
    "ERR increment or decrement would overflow",
  );
  assert.equal(
    replyError(() => incrByInteger("-9223372036854775808", -1)),
    "ERR increment or decrement would overflow",
  );
  assert.equal(
    replyError(() => incrByInteger("-1", -9223372036854775808n)),
    "ERR increment or decrement would overflow",
  );
  assert.equal(
    replyError(() => incrByInteger("1.5", 1)),
    "ERR value is not an integer or out of range",
  );
  assert.equal(
    replyError(() => incrByInteger(" 1", 1)),
    "ERR value is not an integer or out of range",
  );
  assert.equal(addInt64(9223372036854775807n, 0n), 9223372036854775807n);
  assert.equal(addInt64(9223372036854775807n, 1n), undefined);
});

// [text, %.17g reply or null when Redis rejects the score]. Checked against
// redis-server 7.0.15 with ZADD z <text> m; ZSCORE z m on a skiplist-encoded
// zset ("value is not a valid float" → null).
const DOUBLES: [string, string | null][] = [
  ["0.1", "0.10000000000000001"],
  ["0.2", "0.20000000000000001"],
  ["0.3", "0.29999999999999999"],
  ["1", "1"],
  ["3", "3"],
  ["-2.5", "-2.5"],
  ["1e17", "1e+17"],
  ["1e16", "10000000000000000"],
  ["99999999999999999", "1e+17"],
  ["123456789012345678", "1.2345678901234568e+17"],
  ["0.0001", "0.0001"],
  ["0.00001", "1.0000000000000001e-05"],
  ["1e-7", "9.9999999999999995e-08"],
  ["1.5e300", "1.5000000000000001e+300"],
  ["1125899906842624.25", "1125899906842624.2"],
  ["1125899906842624.75", "1125899906842624.8"],
  ["1.0000000000000002", "1.0000000000000002"],
  ["4e-320", "3.999955468730732e-320"],
  ["5e-324", "4.9406564584124654e-324"],
  ["2.2250738585072014e-308", "2.2250738585072014e-308"],
  ["1.7976931348623157e308", "1.7976931348623157e+308"],
  ["inf", "inf"],
  ["-inf", "-inf"],
  ["+inf", "inf"],
  ["Infinity", "inf"],
  ["nan", null],
  ["0x10", "16"],
  ["0x1.8p1", "3"],
  ["0x1p-1074", "4.9406564584124654e-324"],
  ["0x1p-1075", null],
  ["0x1p1023", "8.9884656743115795e+307"],
  ["0x1p1024", null],
  ["0x1.fffffffffffffp1023", "1.7976931348623157e+308"],
  ["0x1.fffffffffffff8p1023", null],
  ["1e309", null],
  ["1e-330", null],
  [" 1", null],
  ["1 ", null],
  ["", null],
  [".5", "0.5"],
  ["5.", "5"],
  ["+.5", "0.5"],
  ["-0.0", "-0"],
  ["1e", null],
  ["12abc", null],
  ["9007199254740993", "9007199254740992"],
  ["18014398509481985", "18014398509481984"],
  ["3.0000000000000004", "3.0000000000000004"],
  ["0.000001", "9.9999999999999995e-07"],
  ["0.0000001", "9.9999999999999995e-08"],
  ["123456.789", "123456.789"],
  ["2.5e-5", "2.5000000000000001e-05"],
  ["1e100", "1e+100"],
  ["-1e-100", "-1e-100"],
  ["0x1.000000000000080000001p0", "1.0000000000000002"],
  ["0x1.00000000000008p0", "1"],
  ["0x1.00000000000018p0", "1.0000000000000004"],
  ["0x.0000000000000000000000000001p-970", null],
];

Deno.test("parseDouble and formatDouble agree with ZADD and ZSCORE", () => {
  for (const [text, reply] of DOUBLES) {
    const value = parseDouble(text);
    assert.equal(value === undefined ? null : formatDouble(value), reply, JSON.stringify(text));
  }
});

Deno.test("formatDouble prints %.17g with ties to even", () => {
  assert.equal(formatDouble(0.1), "0.10000000000000001");
  assert.equal(formatDouble(-0), "-0");
  assert.equal(formatDouble(NaN), "nan");
  assert.equal(formatDouble(1125899906842624.25), "1125899906842624.2");
  assert.equal(formatDouble(1125899906842624.75), "1125899906842624.8");
  assert.equal(formatDouble(-1125899906842624.25), "-1125899906842624.2");
  assert.equal(formatDouble(9.5), "9.5");
  assert.equal(formatDouble(99999999999999984), "99999999999999984");
  assert.equal(formatDouble(2 ** 60), "1.152921504606847e+18");
});

// [value, increment, reply]. Checked against redis-server 7.0.15 with
// SET k <value>; INCRBYFLOAT k <increment> (x86-64, 80-bit long double).
const INCRBYFLOAT: [string, string, string][] = [
  ["10.5", "0.1", "10.6"],
  ["1.1", "2.2", "3.3"],
  ["3.0e3", "0", "3000"],
  ["5.0e3", "2.0e-3", "5000.00199999999999978"],
  ["0", "0.1", "0.1"],
  ["0.1", "0.2", "0.3"],
  ["1", "-1", "0"],
  ["-1", "0.5", "-0.5"],
  ["0", "0.000003814697265625", "0.00000381469726562"],
  ["0", "0.00000095367431640625", "0.00000095367431641"],
  ["0", "-0.000000000000000001", "0"],
  ["0", "0.000000000000000015", "0.00000000000000002"],
  ["0", "1e-4940", "0"],
  ["0", "1e-400", "0"],
  ["0", "1e20", "100000000000000000000"],
  ["0", "123456789012345678901234567890", "123456789012345678899921813504"],
  ["0", "0x1p-2", "0.25"],
  ["0", "0x10", "16"],
  ["1e4932", "1e4932", "ERR increment would produce NaN or Infinity"],
  ["-1e4932", "-1e4932", "ERR increment would produce NaN or Infinity"],
  ["1e4932", "-1e4932", "0"],
  ["0", "1.18973149535723176508e+4932", "ERR value is not a valid float"],
  ["0", "inf", "ERR increment would produce NaN or Infinity"],
  ["1", "-inf", "ERR increment would produce NaN or Infinity"],
  ["0", "nan", "ERR value is not a valid float"],
  ["abc", "1", "ERR value is not a valid float"],
  ["1", "abc", "ERR value is not a valid float"],
  ["", "1", "ERR value is not a valid float"],
  [" 1", "1", "ERR value is not a valid float"],
  ["1", "1 ", "ERR value is not a valid float"],
  ["0", "1e5000", "ERR value is not a valid float"],
  ["0", "1e-5000", "ERR value is not a valid float"],
  ["3.14159265358979323846", "0", "3.14159265358979324"],
  ["9007199254740993", "0", "9007199254740993"],
  ["9223372036854775807", "1", "9223372036854775808"],
  ["-9223372036854775808", "-1", "-9223372036854775809"],
  ["0.1", "-0.1", "0"],
  ["-0.0", "0", "0"],
  ["-0.0", "-0.0", "0"],
  ["1e-17", "0", "0.00000000000000001"],
  ["5e-18", "0", "0"],
  ["-5e-18", "0", "0"],
  ["1.5e-17", "0", "0.00000000000000002"],
  ["2.5e-17", "0", "0.00000000000000002"],
  ["99.99999999999999999", "0", "99.99999999999999999"],
  ["0.99999999999999999999", "0", "1"],
  ["17179869184.1", "0.1", "17179869184.19999999925494194"],
  ["1e18", "0.5", "1000000000000000000.5"],
  ["1e19", "0.5", "10000000000000000000"],
  ["1e20", "1", "100000000000000000000"],
  ["0.30000000000000004", "0", "0.30000000000000004"],
  ["0x1p16384", "0", "ERR value is not a valid float"],
  ["0x1p-16445", "0", "0"],
  ["0x1p-16446", "0", "ERR value is not a valid float"],
  ["0x1p-16447", "0", "ERR value is not a valid float"],
  ["0x3p-16447", "0", "0"],
];

function incrByFloat(value: string, increment: string): string {
  const a = parseLongDouble(value);
  const b = parseLongDouble(increment);
  if (a === undefined || b === undefined) return "ERR value is not a valid float";
  return replyError(() => incrByLongDouble(a, b)) ?? incrByLongDouble(a, b);
}

Deno.test("long double arithmetic reproduces INCRBYFLOAT replies byte for byte", () => {
  for (const [value, increment, reply] of INCRBYFLOAT) {
    assert.equal(incrByFloat(value, increment), reply, `${value} + ${increment}`);
  }
});

Deno.test("long double formatting prints huge values in full like %.17Lf", () => {
  // Checked against redis-server 7.0.15: [value, increment, length, head, tail].
  const table: [string, string, number, string, string][] = [
    ["0", "1e308", 308, "9999999999999999999668587965584564566056", "343928578048"],
    [
      "0",
      "1.18973149535723176502e+4932",
      4933,
      "1189731495357231765021263853030970205169",
      "811989770240",
    ],
    [
      "1.7976931348623157e308",
      "1.7976931348623157e308",
      309,
      "3595386269724631399918420935482088680967",
      "726679072768",
    ],
    [
      "0x1.fffffffffffffffep16383",
      "0",
      4933,
      "1189731495357231765021263853030970205169",
      "811989770240",
    ],
  ];
  for (const [value, increment, length, head, tail] of table) {
    const reply = incrByFloat(value, increment);
    assert.equal(reply.length, length);
    assert.ok(reply.startsWith(head), reply.slice(0, 50));
    assert.ok(reply.endsWith(tail), reply.slice(-50));
  }
});

Deno.test("parseLongDouble enforces the 5119-byte limit of string2ld", () => {
  // Checked against redis-server 7.0.15 with INCRBYFLOAT.
  assert.notEqual(parseLongDouble("0".repeat(5118) + "1"), undefined);
  assert.equal(parseLongDouble("0".repeat(5119) + "1"), undefined);
});

Deno.test("long doubles convert to and from numbers exactly", () => {
  for (const x of [0, -0, 1, -1.5, 0.1, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]) {
    const ld = longDoubleFromNumber(x);
    assert.ok(Object.is(longDoubleToNumber(ld), x), String(x));
  }
  assert.equal(longDoubleToNumber(longDoubleFromNumber(Infinity)), Infinity);
  assert.ok(Number.isNaN(longDoubleToNumber(longDoubleFromNumber(NaN))));
  // 0.1 as a long double is closer to 0.1 than the double is; casting back rounds.
  assert.equal(longDoubleToNumber(parseLongDouble("0.1")!), 0.1);
  assert.equal(formatLongDouble(longDoubleFromNumber(0.1)), "0.10000000000000001");
  assert.equal(formatLongDouble(parseLongDouble("0.1")!), "0.1");
  assert.equal(formatLongDouble(parseLongDouble("-inf")!), "-inf");
  const nan = addLongDouble(parseLongDouble("inf")!, parseLongDouble("-inf")!);
  assert.equal(nan.kind, "nan");
  assert.equal(isFiniteLongDouble(nan), false);
});
