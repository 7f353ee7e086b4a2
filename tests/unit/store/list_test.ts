import assert from "node:assert/strict";
import {
  FLAT_MAX_CHARS,
  FLAT_MAX_ELEMENT_LENGTH,
  FLAT_MAX_ELEMENTS,
  List,
  MAX_CHUNK_SIZE,
} from "../../../src/store/list.ts";
import { prng } from "../../helpers/prng.ts";

/** LRANGE on a plain array, written from Redis's listTypeRange normalization. */
function modelRange(a: string[], start: number, stop: number): string[] {
  const n = a.length;
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return [];
  if (stop >= n) stop = n - 1;
  return a.slice(start, stop + 1);
}

function modelRemove(a: string[], value: string, count: number): [string[], number] {
  const limit = count === 0 ? Infinity : Math.abs(count);
  let removed = 0;
  if (count >= 0) {
    const out = a.filter((v) => !(v === value && removed < limit && ++removed > 0));
    return [out, removed];
  }
  const out = a.slice().reverse().filter((v) => !(v === value && removed < limit && ++removed > 0));
  return [out.reverse(), removed];
}

function modelPositions(
  a: string[],
  value: string,
  rank: number,
  count: number,
  maxlen: number,
): number[] {
  const order = a.map((_, i) => i);
  if (rank < 0) order.reverse();
  const scanned = maxlen > 0 ? order.slice(0, maxlen) : order;
  const matches = scanned.filter((i) => a[i] === value).slice(Math.abs(rank) - 1);
  return count > 0 ? matches.slice(0, count) : matches;
}

function bytesOf(a: string[]): number {
  return a.reduce((sum, v) => sum + v.length, 0);
}

function checkSame(list: List, model: string[], step: number): void {
  list.verify();
  assert.equal(list.length, model.length, `length at step ${step}`);
  assert.deepEqual(list.toArray(), model, `contents at step ${step}`);
  assert.deepEqual([...list], model, `iteration at step ${step}`);
  assert.deepEqual([...list.reverseValues()], model.slice().reverse(), `reverse at step ${step}`);
  assert.equal(list.elementBytes, bytesOf(model), `bytes at step ${step}`);
}

/**
 * Random operations on a list and on a plain array, compared. Biased phases
 * make the list grow and shrink back to empty; with `maxLength` pushes and
 * inserts stop there, so a list of short values never leaves the flat form.
 */
function randomOperations(seed: number, maxLength = Infinity): List {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const list = new List();
  let model: string[] = [];
  for (let step = 0; step < 6000; step++) {
    const growing = Math.floor(step / 1500) % 2 === 0 && model.length < maxLength;
    // Values of 2–14 chars: below and above the length where V8 slices into a parent string.
    const value = "v" + int(12) + (int(4) === 0 ? "-long-value" : "");
    let op = int(100);
    const n = model.length;
    if (n >= maxLength && (op < 55 || (op >= 70 && op < 75))) op = 40;
    {
      if (op < (growing ? 30 : 15)) {
        list.pushTail(value);
        model.push(value);
      } else if (op < (growing ? 55 : 30)) {
        list.pushHead(value);
        model.unshift(value);
      } else if (op < 45) {
        assert.equal(list.popHead(), model.shift());
      } else if (op < 60) {
        assert.equal(list.popTail(), model.pop());
      } else if (op < 66) {
        const i = int(n + 4) - Math.floor((n + 4) / 2);
        assert.equal(list.at(i), model.at(i));
        assert.equal(list.at(-i - 1), model.at(-i - 1));
      } else if (op < 70) {
        const i = int(n * 2 + 2) - n - 1;
        const ok = list.set(i, value);
        assert.equal(ok, i >= -n && i < n);
        if (ok) model[i < 0 ? i + n : i] = value;
      } else if (op < 75) {
        const i = int(n + 2);
        assert.equal(list.insertAt(i, value), i <= n);
        if (i <= n) model.splice(i, 0, value);
      } else if (op < 80) {
        const i = int(n + 2);
        assert.equal(list.removeAt(i), i < n ? model.splice(i, 1)[0] : undefined);
      } else if (op < 88) {
        const start = int(n + 6) - 3 - (int(2) === 0 ? n : 0);
        const stop = int(n + 6) - 3 - (int(2) === 0 ? n : 0);
        assert.deepEqual(list.range(start, stop), modelRange(model, start, stop));
      } else if (op < 90) {
        const start = int(5) - 1;
        const stop = int(2) === 0 ? -1 - int(3) : n - int(3);
        list.trim(start, stop);
        model = modelRange(model, start, stop);
      } else if (op < 95) {
        const count = int(7) - 3;
        const [rest, removed] = modelRemove(model, value, count);
        assert.equal(list.remove(value, count), removed);
        model = rest;
      } else {
        const rank = (int(3) + 1) * (int(2) === 0 ? 1 : -1);
        const count = int(3);
        const maxlen = int(2) === 0 ? 0 : int(n + 1);
        assert.deepEqual(
          list.positions(value, rank, count, maxlen),
          modelPositions(model, value, rank, count, maxlen),
        );
      }
    }
    if (step % 50 === 0 || model.length < 3) checkSame(list, model, step);
  }
  checkSame(list, model, -1);
  return list;
}

Deno.test("list matches a plain array under random operations", () => {
  for (const seed of [1, 2, 3]) assert.equal(randomOperations(seed).isFlat, false);
});

Deno.test("a flat list matches a plain array under random operations", () => {
  for (const seed of [4, 5, 6]) assert.equal(randomOperations(seed, 100).isFlat, true);
});

Deno.test("a list leaves the flat form at each of its limits, keeping its elements", () => {
  const short = Array.from({ length: FLAT_MAX_ELEMENTS }, (_, i) => `e${i}`);
  const cases: [string, (list: List, model: string[]) => void][] = [
    ["one element too many", (l, m) => (l.pushTail("x"), m.push("x"))],
    ["an element too long", (l, m) => {
      const v = "y".repeat(FLAT_MAX_ELEMENT_LENGTH + 1);
      l.pushHead(v);
      m.unshift(v);
    }],
    ["LSET to a value too long", (l, m) => {
      const v = "z".repeat(FLAT_MAX_ELEMENT_LENGTH + 1);
      assert.ok(l.set(3, v));
      m[3] = v;
    }],
  ];
  for (const [what, grow] of cases) {
    const model = what === "one element too many" ? short.slice() : short.slice(0, 10);
    const list = List.fromArray(model);
    assert.equal(list.isFlat, true, what);
    grow(list, model);
    assert.equal(list.isFlat, false, what);
    checkSame(list, model, -1);
  }
  // The total: elements that fit one by one but not together.
  const long = "w".repeat(FLAT_MAX_ELEMENT_LENGTH);
  const list = new List();
  const model: string[] = [];
  while (list.isFlat) {
    list.insertAt(model.length >> 1, long);
    model.splice(model.length >> 1, 0, long);
  }
  assert.equal(model.length, Math.floor(FLAT_MAX_CHARS / (1 + long.length)) + 1);
  checkSame(list, model, -1);
  // A list built from too many or too long values starts large.
  assert.equal(List.fromArray([...short, "x"]).isFlat, false);
  assert.equal(List.fromArray([long + "w"]).isFlat, false);
  assert.equal(List.fromArray(short).isFlat, true);
});

Deno.test("a flat list holds any byte and empty elements", () => {
  const values = ["", "\x00", "\xff\x00\x01", "", "a".repeat(FLAT_MAX_ELEMENT_LENGTH), ""];
  const list = List.fromArray(values);
  assert.equal(list.isFlat, true);
  checkSame(list, values, -1);
  assert.equal(list.popTail(), "");
  assert.equal(list.popHead(), "");
  assert.deepEqual(list.range(0, -1), values.slice(1, -1));
  assert.equal(list.remove("", 0), 1);
  assert.deepEqual(list.toArray(), ["\x00", "\xff\x00\x01", "a".repeat(FLAT_MAX_ELEMENT_LENGTH)]);
  list.verify();
});

Deno.test("list keeps order across many chunks at both ends", () => {
  const list = new List();
  const model: string[] = [];
  const total = MAX_CHUNK_SIZE * 20 + 7;
  for (let i = 0; i < total; i++) {
    if (i % 3 === 0) {
      list.pushHead("h" + i);
      model.unshift("h" + i);
    } else {
      list.pushTail("t" + i);
      model.push("t" + i);
    }
  }
  checkSame(list, model, 0);
  for (let i = 0; i < model.length; i += 97) assert.equal(list.at(i), model[i]);
  assert.deepEqual(list.range(MAX_CHUNK_SIZE - 3, MAX_CHUNK_SIZE * 3 + 5), model.slice(125, 390));
  while (list.length > 0) assert.equal(list.popTail(), model.pop());
  assert.equal(list.popHead(), undefined);
  assert.equal(list.popTail(), undefined);
  assert.equal(list.elementBytes, 0);
});

Deno.test("list works as a queue through many chunk boundaries", () => {
  const list = new List();
  let next = 0;
  let expected = 0;
  for (let round = 0; round < 5000; round++) {
    for (let k = 0; k < 3; k++) list.pushHead(String(next++));
    for (let k = 0; k < 3; k++) assert.equal(list.popTail(), String(expected++));
  }
  assert.equal(list.length, 0);
});

Deno.test("list from builds a list in order", () => {
  const list = List.from(["a", "b", "c"]);
  assert.deepEqual(list.toArray(), ["a", "b", "c"]);
  assert.equal(list.at(-1), "c");
  assert.equal(list.at(3), undefined);
  assert.equal(list.at(-4), undefined);
});

Deno.test("list range follows LRANGE on out-of-range and negative indexes", () => {
  const list = List.from(["1", "2", "3", "4", "5"]);
  const cases: Array<[number, number, string[]]> = [
    [1, -2, ["2", "3", "4"]],
    [-100, 100, ["1", "2", "3", "4", "5"]],
    [3, 1, []],
    [-1, -1, ["5"]],
    [5, 10, []],
    [-3, -4, []],
    [0, 0, ["1"]],
  ];
  for (const [start, stop, want] of cases) assert.deepEqual(list.range(start, stop), want);
  assert.deepEqual(new List().range(0, -1), []);
});

Deno.test("list trim follows LTRIM on out-of-range and negative indexes", () => {
  const cases: Array<[number, number, string[]]> = [
    [1, -2, ["2", "3", "4"]],
    [-100, 100, ["1", "2", "3", "4", "5"]],
    [3, 1, []],
    [-1, -1, ["5"]],
    [5, 10, []],
    [-3, -4, []],
    [0, 0, ["1"]],
  ];
  for (const [start, stop, want] of cases) {
    const list = List.from(["1", "2", "3", "4", "5"]);
    list.trim(start, stop);
    assert.deepEqual(list.toArray(), want, `LTRIM ${start} ${stop}`);
    assert.equal(list.elementBytes, want.length);
  }
});

Deno.test("list remove follows LREM counting from the head, the tail or all", () => {
  const list = List.from(["a", "b", "a", "c", "a", "d", "a"]);
  assert.equal(list.remove("a", 2), 2);
  assert.deepEqual(list.toArray(), ["b", "c", "a", "d", "a"]);
  assert.equal(list.remove("a", -1), 1);
  assert.deepEqual(list.toArray(), ["b", "c", "a", "d"]);
  assert.equal(list.remove("a", 0), 1);
  assert.deepEqual(list.toArray(), ["b", "c", "d"]);
  assert.equal(list.remove("zz", 0), 0);
  assert.equal(List.from(["x", "x"]).remove("x", 0), 2);
});

Deno.test("list positions follow LPOS with rank, count and maxlen", () => {
  const list = List.from(["a", "b", "c", "d", "1", "2", "3", "4", "3", "3", "3"]);
  // Expected values taken from redis-server 7.0.15.
  assert.deepEqual(list.positions("3", 1, 1, 0), [6]);
  assert.deepEqual(list.positions("3", 2, 0, 0), [8, 9, 10]);
  assert.deepEqual(list.positions("3", -1, 2, 0), [10, 9]);
  assert.deepEqual(list.positions("3", 1, 0, 7), [6]);
  assert.deepEqual(list.positions("3", -1, 1, 2), [10]);
  assert.deepEqual(list.positions("3", -2, 1, 1), []);
  assert.deepEqual(list.positions("3", 5, 1, 0), []);
  assert.deepEqual(list.positions("3", -3, 0, 0), [8, 6]);
  assert.deepEqual(list.positions("x", 1, 1, 0), []);
  assert.deepEqual(list.positions("3", -1, 2, 3), [10, 9]);
});

Deno.test("list insertAt and removeAt shift the shorter side", () => {
  const model = Array.from({ length: 300 }, (_, i) => String(i));
  const list = List.from(model);
  for (const i of [0, 1, 150, 298, 300, 17, 250]) {
    list.insertAt(i, "new" + i);
    model.splice(i, 0, "new" + i);
  }
  assert.deepEqual(list.toArray(), model);
  for (const i of [0, 305, 1, 150, 200, 12]) {
    assert.equal(list.removeAt(i), model.splice(i, 1)[0]);
  }
  assert.deepEqual(list.toArray(), model);
  assert.equal(list.insertAt(-1, "x"), false);
  assert.equal(list.insertAt(list.length + 1, "x"), false);
  assert.equal(list.removeAt(list.length), undefined);
});

Deno.test("list byteSize grows with the elements", () => {
  const list = new List();
  const empty = list.byteSize();
  for (let i = 0; i < 1000; i++) list.pushTail("0123456789");
  assert.ok(list.byteSize() > empty + 10000);
  assert.equal(list.elementBytes, 10000);
});

Deno.test("fromArray lays out any length like pushes, and the list keeps working", () => {
  for (const n of [0, 1, 3, 4, 7, 8, 63, 64, 127, 128, 129, 256, 1000, 4097]) {
    const values = Array.from({ length: n }, (_, i) => `v${i}`);
    const list = List.fromArray(values);
    list.verify();
    assert.equal(list.length, n);
    assert.deepEqual(list.toArray(), values);
    assert.equal(list.elementBytes, values.reduce((s, v) => s + v.length, 0));
    assert.equal(list.at(-1), values[n - 1]);
    list.pushHead("h");
    list.pushTail("t");
    list.verify();
    assert.deepEqual(list.toArray(), ["h", ...values, "t"]);
    list.popHead();
    list.popTail();
    list.insertAt(n >> 1, "mid");
    list.verify();
    assert.equal(list.removeAt(n >> 1), "mid");
    assert.deepEqual(list.toArray(), values);
    list.verify();
  }
});
