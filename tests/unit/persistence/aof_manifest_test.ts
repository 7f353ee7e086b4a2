import assert from "node:assert/strict";
import {
  AofManifest,
  AofManifestError,
  formatAofInfo,
  manifestFileName,
  needsRepr,
  tempIncrFileName,
  tempManifestFileName,
} from "../../../src/persistence/aof_manifest.ts";
import { AofCommandReader } from "../../../src/persistence/aof_loader.ts";
import { stringToBytes } from "../../../src/util/bytes.ts";

function parseError(text: string): AofManifestError {
  try {
    AofManifest.parse(text);
  } catch (err) {
    assert.ok(err instanceof AofManifestError);
    return err;
  }
  assert.fail("the manifest was accepted");
}

Deno.test("a manifest Redis wrote parses into its base and incr files", () => {
  const am = AofManifest.parse(
    "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
  );
  assert.deepEqual(am.base, { fileName: "appendonly.aof.1.base.rdb", fileSeq: 1, fileType: "b" });
  assert.deepEqual(am.incr, [{ fileName: "appendonly.aof.1.incr.aof", fileSeq: 1, fileType: "i" }]);
  assert.equal(am.currBaseSeq, 1);
  assert.equal(am.currIncrSeq, 1);
  assert.equal(am.dirty, false);
});

Deno.test("formatting puts the base first, then history, then incr files", () => {
  const text = "file appendonly.aof.2.base.rdb seq 2 type b\n" +
    "file appendonly.aof.1.incr.aof seq 1 type h\n" +
    "file appendonly.aof.2.incr.aof seq 2 type i\n" +
    "file appendonly.aof.3.incr.aof seq 3 type i\n";
  const am = AofManifest.parse(
    "file appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.1.incr.aof seq 1 type h\n" +
      "file appendonly.aof.3.incr.aof seq 3 type i\nfile appendonly.aof.2.base.rdb seq 2 type b\n",
  );
  assert.equal(am.format(), text);
  assert.equal(AofManifest.parse(text).format(), text);
});

Deno.test("comment lines are skipped and extra key/value pairs are ignored", () => {
  const am = AofManifest.parse(
    "# a comment\nfile a.1.base.rdb seq 1 type b future value\nFILE a.1.incr.aof SEQ 1 TYPE i\n",
  );
  assert.equal(am.base?.fileName, "a.1.base.rdb");
  assert.equal(am.incr[0].fileName, "a.1.incr.aof");
});

Deno.test("the manifest errors carry Redis's messages", () => {
  assert.equal(parseError("").message, "Found an empty AOF manifest");
  assert.equal(parseError("\n").message, "Invalid AOF manifest file format");
  assert.equal(parseError("file a seq 1\n").message, "Invalid AOF manifest file format");
  assert.equal(parseError("file a seq 1 type\n").message, "Invalid AOF manifest file format");
  assert.equal(parseError("file a seq 0 type b\n").message, "Invalid AOF manifest file format");
  assert.equal(
    parseError("file dir/a seq 1 type b\n").message,
    "File can't be a path, just a filename",
  );
  assert.equal(
    parseError("file a seq 1 type b\nfile b seq 2 type b\n").message,
    "Found duplicate base file information",
  );
  assert.equal(
    parseError("file a seq 2 type i\nfile b seq 2 type i\n").message,
    "Found a non-monotonic sequence number",
  );
  assert.equal(parseError("file a seq 1 type x\n").message, "Unknown AOF file type");
  const tooLong = parseError(`file ${"a".repeat(1100)} seq 1 type b\n`);
  assert.equal(tooLong.message, "The AOF manifest file contains too long line");
  assert.equal(tooLong.line, undefined);
  // A last line without its newline counts as too long, as with fgets in Redis.
  assert.equal(
    parseError("file a seq 1 type b").message,
    "The AOF manifest file contains too long line",
  );
  const bad = parseError("file a seq 1 type b\nfile b seq 1\n");
  assert.equal(bad.lineNumber, 2);
  assert.equal(bad.line, "file b seq 1");
});

Deno.test("names that need quoting are written with sdscatrepr and read back", () => {
  assert.equal(needsRepr("appendonly.aof.1.base.rdb"), false);
  assert.equal(needsRepr("my file"), true);
  const line = formatAofInfo({ fileName: 'we"ird name\n', fileSeq: 3, fileType: "i" });
  assert.equal(line, 'file "we\\"ird name\\n" seq 3 type i\n');
  const am = AofManifest.parse(line);
  assert.equal(am.incr[0].fileName, 'we"ird name\n');
});

Deno.test("a rewrite names the next base and turns the old one into history", () => {
  const am = AofManifest.parse(
    "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
  );
  const next = am.clone();
  assert.equal(next.newIncrFileName("appendonly.aof"), "appendonly.aof.2.incr.aof");
  assert.equal(next.newBaseFileName("appendonly.aof", true), "appendonly.aof.2.base.rdb");
  next.markRewrittenIncrAsHistory(true);
  assert.equal(
    next.format(),
    "file appendonly.aof.2.base.rdb seq 2 type b\n" +
      "file appendonly.aof.1.incr.aof seq 1 type h\n" +
      "file appendonly.aof.1.base.rdb seq 1 type h\n" +
      "file appendonly.aof.2.incr.aof seq 2 type i\n",
  );
  assert.equal(next.dirty, true);
  // The clone left the original alone.
  assert.equal(am.incr.length, 1);
  assert.equal(am.base?.fileType, "b");
});

Deno.test("several rewritten incr files become history oldest first", () => {
  const am = AofManifest.parse(
    "file x.1.base.rdb seq 1 type b\nfile x.1.incr.aof seq 1 type i\n" +
      "file x.2.incr.aof seq 2 type i\nfile x.3.incr.aof seq 3 type i\n",
  );
  am.newBaseFileName("x", false);
  am.markRewrittenIncrAsHistory(true);
  assert.deepEqual(am.history.map((ai) => ai.fileName), [
    "x.1.incr.aof",
    "x.2.incr.aof",
    "x.1.base.rdb",
  ]);
  assert.equal(am.base?.fileName, "x.2.base.aof");
  assert.deepEqual(am.incr.map((ai) => ai.fileName), ["x.3.incr.aof"]);
});

Deno.test("with the AOF off every incr file becomes history", () => {
  const am = AofManifest.parse("file x.1.incr.aof seq 1 type i\nfile x.2.incr.aof seq 2 type i\n");
  am.markRewrittenIncrAsHistory(false);
  assert.equal(am.incr.length, 0);
  assert.deepEqual(am.history.map((ai) => ai.fileName), ["x.1.incr.aof", "x.2.incr.aof"]);
});

Deno.test("the last incr file is reused or created", () => {
  const empty = new AofManifest();
  assert.equal(empty.isEmpty, true);
  assert.equal(empty.lastIncrFileName("appendonly.aof"), "appendonly.aof.1.incr.aof");
  assert.equal(empty.lastIncrFileName("appendonly.aof"), "appendonly.aof.1.incr.aof");
  assert.equal(empty.isEmpty, false);
});

Deno.test("the helper names follow Redis's naming rules", () => {
  assert.equal(manifestFileName("appendonly.aof"), "appendonly.aof.manifest");
  assert.equal(tempManifestFileName("appendonly.aof"), "temp-appendonly.aof.manifest");
  assert.equal(tempIncrFileName("appendonly.aof"), "temp-appendonly.aof.incr");
});

Deno.test("the AOF reader returns commands, skips annotations and tells a torn tail from bad format", () => {
  const text =
    "#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n";
  const reader = new AofCommandReader(stringToBytes(text));
  assert.deepEqual(reader.next(), { kind: "command", argv: ["SELECT", "0"] });
  assert.deepEqual(reader.next(), { kind: "command", argv: ["SET", "k", "v\r\n"] });
  assert.deepEqual(reader.next(), { kind: "end" });
  assert.equal(reader.offset, text.length);

  const full = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
  for (let cut = 1; cut < full.length; cut++) {
    const torn = new AofCommandReader(stringToBytes(full + full.slice(0, cut)));
    assert.equal(torn.next().kind, "command");
    const end = torn.next().kind;
    assert.equal(end, "truncated", `cut at ${cut}`);
  }
  assert.deepEqual(new AofCommandReader(stringToBytes("?3\r\n")).next(), { kind: "format" });
  assert.deepEqual(new AofCommandReader(stringToBytes("*0\r\n")).next(), { kind: "format" });
  assert.deepEqual(new AofCommandReader(stringToBytes("*1\r\nx3\r\n")).next(), {
    kind: "format",
  });
});
