/**
 * V8's young generation, bounded for a server that keeps what it allocates.
 *
 * Values written to the keyspace survive V8's scavenges, so every scavenge
 * copies all the values written since the previous one. V8 grows its young
 * generation under a write load (a semi-space of up to 32 MB), and then a
 * scavenge pauses the server 20–75 ms. A 4 MB semi-space keeps each pause to
 * a few milliseconds at the price of more scavenges: on the 2-core bench
 * host, over two replication bench runs each, the master's maximum latency
 * during full syncs was 7.4–9.6 ms against 7.3–12.0 ms (three runs) with V8's
 * default, and the replica's lag under SET -P 16 at most 0.21–0.23 MB
 * (19.5–29.1 ms) against 0.35–0.61 MB (26.4–92.8 ms); GET and SET on 1M keys
 * ran 2–5% slower (CPU per request +3–7%).
 *
 * V8 reads its heap sizes once, when it starts: from `--v8-flags` on Deno's
 * command line or from DENO_V8_FLAGS. `deno run -A main.ts` has neither,
 * so the entry point calls `reexecWithHeapFlags` first: it re-executes the
 * process in place (execve: same pid, arguments and descriptors) with
 * DENO_V8_FLAGS set. A compiled executable has the flags built in (see
 * scripts/compile.ts).
 */

/** The V8 flags the server runs with. */
export const HEAP_FLAGS = "--max-semi-space-size=4";

/** Set in the re-executed process's environment: it never re-executes again. */
const REEXEC_MARKER = "REDENO_HEAP_FLAGS";

/**
 * Re-executes this process with DENO_V8_FLAGS=HEAP_FLAGS and does not
 * return, unless the flags cannot or should not be set that way: not Linux,
 * a compiled executable, DENO_V8_FLAGS already set (the operator's choice
 * wins), no FFI or environment permission, or execve failing. Then it
 * returns and the server runs with V8's defaults.
 */
export function reexecWithHeapFlags(): void {
  if (Deno.build.os !== "linux" || Deno.build.standalone) return;
  try {
    if (Deno.env.get("DENO_V8_FLAGS") !== undefined) return;
    if (Deno.env.get(REEXEC_MARKER) !== undefined) return;
    const argv = Deno.readTextFileSync("/proc/self/cmdline").split("\0");
    if (argv.at(-1) === "") argv.pop();
    const env = { ...Deno.env.toObject(), DENO_V8_FLAGS: HEAP_FLAGS, [REEXEC_MARKER]: "1" };
    const libc = Deno.dlopen("libc.so.6", {
      execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
    });
    const path = cString(Deno.execPath());
    const args = cStringArray(argv);
    const envp = cStringArray(Object.entries(env).map(([k, v]) => `${k}=${v}`));
    libc.symbols.execve(path, args.pointers, envp.pointers);
    // Only a failed execve returns.
    libc.close();
  } catch {
    // No FFI, /proc or environment access: V8's defaults.
  }
}

function cString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/**
 * A NULL-terminated array of pointers to C strings, as execve takes them;
 * `strings` holds the buffers the pointers point into (they must stay alive).
 */
function cStringArray(items: string[]): { pointers: Uint8Array; strings: Uint8Array[] } {
  const strings = items.map(cString);
  const slots = new BigUint64Array(strings.length + 1);
  strings.forEach((s, i) => slots[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(s))));
  return { pointers: new Uint8Array(slots.buffer), strings };
}
