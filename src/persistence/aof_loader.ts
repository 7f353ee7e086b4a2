/**
 * Loading one AOF file at start-up (Redis 7.0's loadSingleAppendOnlyFile):
 * an RDB base (or the RDB preamble of an old-style single-file AOF) goes
 * through the RDB loader; the commands that follow are replayed through the
 * command table with a fake client whose replies are discarded, as Redis's
 * AOF client does.
 *
 * The reader follows Redis's fgets/fread parsing byte for byte, so the same
 * files are accepted, truncated ("short read") or refused ("Bad file
 * format") as by redis-server 7.0.
 */
import type { Server } from "../server.ts";
import { Client } from "../net/client.ts";
import { lookupCommand, lookupSubcommand } from "../commands/table.ts";
import type { CommandSpec } from "../commands/types.ts";
import { loadRdb } from "./rdb_loader.ts";
import { RdbError } from "./rdb_decoder.ts";
import { bytesToString, latin1ToUtf8 } from "../util/bytes.ts";
import { log } from "../log.ts";
import { osErrorText } from "../util/system.ts";

/** Longest line Redis's AOF reader takes in one fgets (AOF_ANNOTATION_LINE_MAX_LEN). */
export const AOF_ANNOTATION_LINE_MAX_LEN = 1024;

/** What loading a file came to (Redis's AOF_OK, AOF_NOT_EXIST, …). */
export type AofLoadStatus = "ok" | "not_exist" | "empty" | "open_err" | "failed" | "truncated";

/** One step of reading commands. */
export type AofReadResult =
  | { kind: "command"; argv: string[] }
  /** The file ended cleanly between two commands. */
  | { kind: "end" }
  /** The file ended inside a command (Redis's readerr at EOF). */
  | { kind: "truncated" }
  /** Not the AOF format (Redis's fmterr). */
  | { kind: "format" };

/**
 * Reads RESP commands from an AOF's bytes the way Redis's loader does:
 * lines by fgets (at most 1023 bytes), `#` annotation lines skipped,
 * arguments by fread, the CRLF after each argument skipped unchecked.
 */
export class AofCommandReader {
  #bytes: Uint8Array;
  #pos: number;

  constructor(bytes: Uint8Array, start = 0) {
    this.#bytes = bytes;
    this.#pos = start;
  }

  /** Bytes consumed so far (Redis's ftello). */
  get offset(): number {
    return this.#pos;
  }

  /** The next command, or how the file ends. */
  next(): AofReadResult {
    while (true) {
      const line = this.#fgets();
      if (line === undefined) return { kind: "end" };
      if (line[0] === "#") continue;
      if (line[0] !== "*") return { kind: "format" };
      // A lone "*": Redis's readerr, which is a short read at EOF.
      if (line.length === 1) {
        return this.#pos >= this.#bytes.length ? { kind: "truncated" } : { kind: "format" };
      }
      const argc = cLong(line.slice(1));
      if (argc < 1) return { kind: "format" };
      const argv: string[] = [];
      for (let j = 0; j < argc; j++) {
        const header = this.#fgets();
        if (header === undefined) return { kind: "truncated" };
        if (header[0] !== "$") return { kind: "format" };
        const len = cLong(header.slice(1));
        if (len < 0) return { kind: "format" };
        if (this.#pos + len > this.#bytes.length) return { kind: "truncated" };
        argv.push(bytesToString(this.#bytes, this.#pos, this.#pos + len));
        this.#pos += len;
        // The CRLF: fread of 2 bytes, contents not checked.
        if (this.#pos + 2 > this.#bytes.length) return { kind: "truncated" };
        this.#pos += 2;
      }
      return { kind: "command", argv };
    }
  }

  /** C's fgets with an AOF_ANNOTATION_LINE_MAX_LEN buffer; undefined at EOF. */
  #fgets(): string | undefined {
    const bytes = this.#bytes;
    const start = this.#pos;
    if (start >= bytes.length) return undefined;
    const limit = Math.min(bytes.length, start + AOF_ANNOTATION_LINE_MAX_LEN - 1);
    let i = start;
    while (i < limit) {
      if (bytes[i++] === 0x0a) break;
    }
    this.#pos = i;
    return bytesToString(bytes, start, i);
  }
}

/** C's atoi/strtol on a line: leading spaces, a sign, digits; 0 when there are none. */
function cLong(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

/** Options of a file load. */
export interface AofFileLoadOptions {
  /** `appenddirname` (a byte string). */
  dirName: string;
  /** The file, inside dirName (a byte string). */
  fileName: string;
  /** `appendfilename`: a file of that name is an old-style AOF (RDB preamble + commands). */
  oldStyleName: string;
  /** `aof-load-truncated`. */
  loadTruncated: boolean;
  /** `rdbchecksum`. */
  verifyChecksum: boolean;
}

/** `dir/name` as a path Deno takes (the names are byte strings). */
export function aofPath(dirName: string, fileName: string): string {
  return latin1ToUtf8(`${dirName}/${fileName}`);
}

/**
 * Loads one AOF file into `server` (Redis's loadSingleAppendOnlyFile) and
 * logs Redis's lines. A truncated tail is cut off the file when
 * aof-load-truncated allows it.
 */
export async function loadSingleAppendOnlyFile(
  server: Server,
  opts: AofFileLoadOptions,
): Promise<AofLoadStatus> {
  const { fileName } = opts;
  const path = aofPath(opts.dirName, fileName);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      log.warning(`The append log file ${fileName} doesn't exist: ${osErrorText(err)}`);
      return "not_exist";
    }
    log.warning(
      `Fatal error: can't open the append log file ${fileName} for reading: ${osErrorText(err)}`,
    );
    return "open_err";
  }
  if (bytes.length === 0) return "empty";

  let start = 0;
  if (bytes.length >= 5 && bytesToString(bytes, 0, 5) === "REDIS") {
    // An RDB: the base of a multi-part AOF, or the preamble of an old-style AOF.
    const oldStyle = fileName === opts.oldStyleName;
    log.notice(
      oldStyle
        ? "Reading RDB preamble from AOF file..."
        : "Reading RDB base file on AOF loading...",
    );
    try {
      // Decoded in the load worker. A base file is the whole RDB and goes to the worker
      // as it is; an old-style file continues with commands where the RDB ends, so the
      // worker gets a copy and the commands are read from here.
      const result = await loadRdb(
        { kind: "bytes", bytes: oldStyle ? bytes.slice() : bytes },
        server.keyspace,
        {
          // Keys are loaded as they are: the commands that follow assume that exact keyspace.
          dropExpired: false,
          verifyChecksum: opts.verifyChecksum,
        },
      );
      server.rdb.lastLoadKeysLoaded = result.keysLoaded;
      server.rdb.lastLoadKeysExpired = result.keysExpired;
      if (oldStyle) {
        start = result.endOffset;
      } else {
        // Transferred to the worker, and nothing follows the RDB in a base file.
        bytes = new Uint8Array(0);
      }
    } catch (err) {
      if (!(err instanceof RdbError)) throw err;
      log.warning(err.message);
      log.warning(
        oldStyle
          ? `Error reading the RDB preamble of the AOF file ${fileName}, AOF loading aborted`
          : `Error reading the RDB base file ${fileName}, AOF loading aborted`,
      );
      return "failed";
    }
    if (oldStyle) log.notice("Reading the remaining AOF tail...");
  }
  return await replayCommands(server, bytes, start, path, opts);
}

/** The part of loadSingleAppendOnlyFile that reads and runs commands. */
async function replayCommands(
  server: Server,
  bytes: Uint8Array,
  start: number,
  path: string,
  opts: AofFileLoadOptions,
): Promise<AofLoadStatus> {
  const { fileName } = opts;
  const reader = new AofCommandReader(bytes, start);
  const client = createAofClient(server);
  const keyspace = server.keyspace;
  // Redis's keyIsExpired answers "no" while loading: the log assumes the keys it wrote.
  const wasReplica = keyspace.isReplica;
  const wasServingMaster = keyspace.servingMaster;
  keyspace.isReplica = () => true;
  keyspace.servingMaster = true;
  let validUpTo = 0;
  let validBeforeMulti = 0;
  let multi: string[][] | undefined;
  let ending: "truncated" | "format";
  try {
    while (true) {
      const step = reader.next();
      if (step.kind === "end") {
        if (multi === undefined) return "ok";
        // A MULTI without its EXEC: handled as a short read at the MULTI.
        log.warning(`Revert incomplete MULTI/EXEC transaction in AOF file ${fileName}`);
        validUpTo = validBeforeMulti;
        ending = "truncated";
        break;
      }
      if (step.kind !== "command") {
        ending = step.kind;
        break;
      }
      const argv = step.argv;
      // MULTI/EXEC are handled here, like the fake client's queue in Redis.
      const name = argv[0].toLowerCase();
      const transactional = name === "multi" || name === "exec";
      const cmd = transactional ? undefined : lookupForLoad(argv);
      if (cmd === undefined && !transactional) {
        log.warning(`Unknown command '${argv[0]}' reading the append only file ${fileName}`);
        return "failed";
      }
      if (name === "multi") validBeforeMulti = validUpTo;
      if (multi !== undefined && name !== "exec") {
        multi.push(argv);
      } else if (name === "multi") {
        multi = [];
      } else if (name === "exec") {
        const queued = multi ?? [];
        multi = undefined;
        for (const queuedArgv of queued) {
          const queuedCmd = lookupForLoad(queuedArgv);
          if (queuedCmd !== undefined) await runForLoad(client, queuedCmd, queuedArgv);
        }
      } else if (cmd !== undefined) {
        await runForLoad(client, cmd, argv);
      }
      if (opts.loadTruncated) validUpTo = reader.offset;
    }
  } finally {
    keyspace.isReplica = wasReplica;
    keyspace.servingMaster = wasServingMaster;
  }

  if (ending === "format") {
    log.warning(
      `Bad file format reading the append only file ${fileName}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`,
    );
    return "failed";
  }
  // An unexpected end of file.
  if (opts.loadTruncated) {
    log.warning(`!!! Warning: short read while loading the AOF file ${fileName}!!!`);
    log.warning(`!!! Truncating the AOF ${fileName} at offset ${validUpTo} !!!`);
    try {
      await Deno.truncate(path, validUpTo);
      log.warning(`AOF ${fileName} loaded anyway because aof-load-truncated is enabled`);
      return "truncated";
    } catch (err) {
      log.warning(`Error truncating the AOF file ${fileName}: ${osErrorText(err)}`);
    }
  }
  log.warning(
    `Unexpected end of file reading the append only file ${fileName}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
  );
  return "failed";
}

/** Redis's lookupCommand for the loader: undefined for an unknown command or subcommand. */
function lookupForLoad(argv: string[]): CommandSpec | undefined {
  const container = lookupCommand(argv[0]);
  if (container === undefined || container.subcommands === undefined) return container;
  if (argv.length < 2) return undefined;
  return lookupSubcommand(container, argv[1]);
}

/** Runs one command for the fake client and throws its reply away. */
async function runForLoad(client: Client, cmd: CommandSpec, argv: string[]): Promise<void> {
  const server = client.server;
  server.keyspace.tick();
  client.lastCommand = cmd.name;
  client.propagateOverride = undefined;
  client.propagateSuppressed = false;
  try {
    const pending = cmd.run?.(client.context(), argv);
    if (pending instanceof Promise) await pending;
  } catch {
    // An error reply: the AOF client never gets replies.
  }
  client.propagateOverride = undefined;
  client.reply.pos = 0;
}

/** A connection that is not one: the AOF client has no socket (Redis's createClient(NULL)). */
const NO_CONN = {
  remoteAddr: { transport: "unix", path: "" },
  localAddr: { transport: "unix", path: "" },
  close() {},
} as unknown as Deno.Conn;

/** Redis's createAOFClient: authenticated, never registered, replies discarded. */
function createAofClient(server: Server): Client {
  const client = new Client(server, NO_CONN, Number.MAX_SAFE_INTEGER, -1).init();
  client.authenticated = true;
  return client;
}
