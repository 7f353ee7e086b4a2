import assert from "node:assert/strict";
import { compileArgs, missingRuntimeReason, RUNTIME_MODULES } from "../../../scripts/compile.ts";
import { HEAP_FLAGS } from "../../../src/util/heap_flags.ts";

const ROOT = new URL("../../../", import.meta.url);

/** Every `new Worker(new URL("…", import.meta.url))` in src/, as a path from the repo root. */
async function workerModules(): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: URL): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
      if (entry.isDirectory) await walk(url);
      else if (entry.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(url);
        for (
          const m of text.matchAll(
            /new Worker\(\s*new URL\(\s*["']([^"']+)["']\s*,\s*import\.meta\.url/g,
          )
        ) {
          found.push(new URL(m[1], url).pathname.slice(ROOT.pathname.length));
        }
      }
    }
  }
  await walk(new URL("src/", ROOT));
  return found.sort();
}

Deno.test("every worker module loaded by URL is listed for --include", async () => {
  const workers = await workerModules();
  assert.ok(workers.length > 0, "expected at least the snapshot worker");
  for (const worker of workers) {
    assert.ok(RUNTIME_MODULES.includes(worker), `${worker} missing from RUNTIME_MODULES`);
  }
  const args = compileArgs();
  for (const module of RUNTIME_MODULES) {
    assert.ok(args.includes(module), `${module} not passed to --include`);
    await Deno.stat(new URL(module, ROOT));
  }
});

Deno.test("the executable has the heap flags built in (it does not re-execute itself)", () => {
  assert.ok(compileArgs().includes(`--v8-flags=${HEAP_FLAGS}`));
});

Deno.test("compile stops with a clear message when DENORT_BIN is not set", () => {
  const reason = missingRuntimeReason({});
  assert.match(reason ?? "", /DENORT_BIN is not set/);
  assert.match(reason ?? "", /DENORT_BIN=\/path\/to\/denort deno task compile/);
  assert.match(missingRuntimeReason({ DENORT_BIN: "/nonexistent/denort" }) ?? "", /does not exist/);
});

Deno.test("deno task compile fails at once without DENORT_BIN", async () => {
  const env = Deno.env.toObject();
  delete env.DENORT_BIN;
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/compile.ts"],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.match(stderr, /DENORT_BIN/);
  assert.doesNotMatch(stderr, /at .*\.ts:\d+/, "no stack trace");
  assert.ok(performance.now() - started < 30_000);
});
