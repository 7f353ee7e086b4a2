import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

Deno.test("deno task demo reproduces the seed's master/replica walk-through", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/demo.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  assert.match(text, /set name HongWan\nOK/);
  assert.match(text, /get name\n"HongWan"/);
  assert.match(text, /Starting BGSAVE for SYNC with target: disk/);
  assert.match(text, /MASTER <-> REPLICA sync: Finished with success/);
  assert.match(text, /The walk-through matched\./);
});
