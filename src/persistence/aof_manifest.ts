/**
 * The multi-part AOF manifest (Redis 7.0's aofManifest): which files make up
 * the append only file, in `appenddirname/appendfilename.manifest`.
 *
 * Three kinds of file:
 * - BASE (`type b`): the dataset at the last rewrite, an RDB
 *   (`appendonly.aof.N.base.rdb`, aof-use-rdb-preamble yes) or commands
 *   (`appendonly.aof.N.base.aof`); at most one, always the first line.
 * - INCR (`type i`): the commands written since, `appendonly.aof.N.incr.aof`;
 *   usually one, several after a failed rewrite, in increasing `seq`.
 * - HISTORY (`type h`): files a successful rewrite replaced, deleted right after.
 *
 * A line reads `file <name> seq <n> type <b|h|i>`; names that need it are
 * quoted like Redis's sdscatrepr and read back with sdssplitargs. This module
 * is pure: parsing, formatting and the naming rules. The file I/O lives in
 * aof.ts.
 */
import { splitArgs } from "../config.ts";
import { reprArg } from "../util/repr.ts";

/** Suffixes and prefixes of Redis's naming rules (aof.c). */
export const BASE_FILE_SUFFIX = ".base";
export const INCR_FILE_SUFFIX = ".incr";
export const RDB_FORMAT_SUFFIX = ".rdb";
export const AOF_FORMAT_SUFFIX = ".aof";
export const MANIFEST_NAME_SUFFIX = ".manifest";
export const TEMP_FILE_NAME_PREFIX = "temp-";
/** Longest manifest line Redis reads (MANIFEST_MAX_LINE). */
export const MANIFEST_MAX_LINE = 1024;

/** One file of the manifest. */
export type AofFileType = "b" | "h" | "i";

/** One manifest line (Redis's aofInfo). */
export interface AofInfo {
  fileName: string;
  fileSeq: number;
  fileType: AofFileType;
}

/** A manifest that cannot be read: Redis's words and where. */
export class AofManifestError extends Error {
  /** The line the error was found on (1-based), when there is one. */
  readonly lineNumber: number | undefined;
  /** The offending line, trimmed, when there is one. */
  readonly line: string | undefined;

  constructor(message: string, lineNumber?: number, line?: string) {
    super(message);
    this.name = "AofManifestError";
    this.lineNumber = lineNumber;
    this.line = line;
  }
}

/** The manifest: base, history and incr files, and the sequence counters. */
export class AofManifest {
  base: AofInfo | undefined;
  /** Incr files, oldest first. */
  incr: AofInfo[] = [];
  /** Files replaced by a rewrite, not deleted yet. */
  history: AofInfo[] = [];
  currBaseSeq = 0;
  currIncrSeq = 0;
  /** True when the in-memory manifest differs from the file. */
  dirty = false;

  /** A deep copy (Redis modifies a copy, then swaps it in once it is on disk). */
  clone(): AofManifest {
    const am = new AofManifest();
    am.base = this.base && { ...this.base };
    am.incr = this.incr.map((ai) => ({ ...ai }));
    am.history = this.history.map((ai) => ({ ...ai }));
    am.currBaseSeq = this.currBaseSeq;
    am.currIncrSeq = this.currIncrSeq;
    am.dirty = this.dirty;
    return am;
  }

  /** True when there is neither a base nor an incr file (nothing to load). */
  get isEmpty(): boolean {
    return this.base === undefined && this.incr.length === 0;
  }

  /** Base and incr files, in load order. */
  get loadOrder(): AofInfo[] {
    return this.base ? [this.base, ...this.incr] : [...this.incr];
  }

  /**
   * Redis's getNewBaseFileNameAndMarkPreAsHistory: names the next base file
   * (`<filename>.<seq>.base.rdb|aof`) and turns the current base into history.
   */
  newBaseFileName(fileName: string, rdbFormat: boolean): string {
    if (this.base !== undefined) {
      this.base.fileType = "h";
      this.history.unshift(this.base);
    }
    const seq = ++this.currBaseSeq;
    const name = `${fileName}.${seq}${BASE_FILE_SUFFIX}${
      rdbFormat ? RDB_FORMAT_SUFFIX : AOF_FORMAT_SUFFIX
    }`;
    this.base = { fileName: name, fileSeq: seq, fileType: "b" };
    this.dirty = true;
    return name;
  }

  /** Redis's getNewIncrAofName: appends the next incr file (`<filename>.<seq>.incr.aof`). */
  newIncrFileName(fileName: string): string {
    const seq = ++this.currIncrSeq;
    const name = `${fileName}.${seq}${INCR_FILE_SUFFIX}${AOF_FORMAT_SUFFIX}`;
    this.incr.push({ fileName: name, fileSeq: seq, fileType: "i" });
    this.dirty = true;
    return name;
  }

  /** Redis's getLastIncrAofName: the incr file being appended to, created if there is none. */
  lastIncrFileName(fileName: string): string {
    if (this.incr.length === 0) return this.newIncrFileName(fileName);
    return this.incr[this.incr.length - 1].fileName;
  }

  /**
   * Redis's markRewrittenIncrAofAsHistory: after a successful rewrite the
   * incr files it covers become history. When the AOF is on, the last incr
   * file is the one being written and stays.
   */
  markRewrittenIncrAsHistory(keepLast: boolean): void {
    if (this.incr.length === 0) return;
    const keep = keepLast ? this.incr.slice(-1) : [];
    const rewritten = keepLast ? this.incr.slice(0, -1) : this.incr;
    // Redis walks the list from the tail and adds each to the head of history.
    for (let i = rewritten.length - 1; i >= 0; i--) {
      this.history.unshift({ ...rewritten[i], fileType: "h" });
    }
    this.incr = keep;
    this.dirty = true;
  }

  /** The manifest text: base first, then history, then incr files (getAofManifestAsString). */
  format(): string {
    let out = "";
    if (this.base) out += formatAofInfo(this.base);
    for (const ai of this.history) out += formatAofInfo(ai);
    for (const ai of this.incr) out += formatAofInfo(ai);
    return out;
  }

  /**
   * Parses a manifest file's bytes (a byte string) with the checks of
   * Redis's aofLoadManifestFromFile. Throws AofManifestError.
   */
  static parse(text: string): AofManifest {
    const am = new AofManifest();
    let maxSeq = 0;
    let lineNumber = 0;
    let pos = 0;
    while (true) {
      if (pos >= text.length) {
        if (lineNumber === 0) throw new AofManifestError("Found an empty AOF manifest");
        break;
      }
      // fgets with a MANIFEST_MAX_LINE+1 buffer: at most MANIFEST_MAX_LINE bytes per read.
      const newline = text.indexOf("\n", pos);
      const stop = newline === -1 ? text.length : newline + 1;
      const end = Math.min(stop, pos + MANIFEST_MAX_LINE);
      const buf = text.slice(pos, end);
      pos = end;
      lineNumber++;
      if (buf[0] === "#") continue;
      const trimmed = trimSet(buf, " \t\r\n");
      if (!buf.includes("\n")) {
        // Redis has not kept the line yet at this point, so it logs no line.
        throw new AofManifestError("The AOF manifest file contains too long line", lineNumber);
      }
      if (trimmed.length === 0) {
        throw new AofManifestError("Invalid AOF manifest file format", lineNumber, trimmed);
      }
      const argv = splitArgs(trimmed);
      // 'argc < 6' is Redis's forward compatibility: more key/value pairs are ignored.
      if (argv === null || argv.length < 6 || argv.length % 2 !== 0) {
        throw new AofManifestError("Invalid AOF manifest file format", lineNumber, trimmed);
      }
      let fileName: string | undefined;
      let fileSeq = 0;
      let fileType = "";
      for (let i = 0; i < argv.length; i += 2) {
        const key = argv[i].toLowerCase();
        if (key === "file") {
          fileName = argv[i + 1];
          if (!isBaseName(fileName)) {
            throw new AofManifestError(
              "File can't be a path, just a filename",
              lineNumber,
              trimmed,
            );
          }
        } else if (key === "seq") {
          fileSeq = atoll(argv[i + 1]);
        } else if (key === "type") {
          fileType = argv[i + 1].slice(0, 1);
        }
      }
      if (!fileName || !fileSeq || !fileType) {
        throw new AofManifestError("Invalid AOF manifest file format", lineNumber, trimmed);
      }
      const ai: AofInfo = { fileName, fileSeq, fileType: fileType as AofFileType };
      if (fileType === "b") {
        if (am.base !== undefined) {
          throw new AofManifestError("Found duplicate base file information", lineNumber, trimmed);
        }
        am.base = ai;
        am.currBaseSeq = fileSeq;
      } else if (fileType === "h") {
        am.history.push(ai);
      } else if (fileType === "i") {
        if (fileSeq <= maxSeq) {
          throw new AofManifestError("Found a non-monotonic sequence number", lineNumber, trimmed);
        }
        am.incr.push(ai);
        am.currIncrSeq = fileSeq;
        maxSeq = fileSeq;
      } else {
        throw new AofManifestError("Unknown AOF file type", lineNumber, trimmed);
      }
    }
    return am;
  }
}

/** One manifest line; the name is quoted when sdsneedsrepr says so. */
export function formatAofInfo(ai: AofInfo): string {
  const name = needsRepr(ai.fileName) ? reprArg(ai.fileName) : ai.fileName;
  return `file ${name} seq ${ai.fileSeq} type ${ai.fileType}\n`;
}

/** `<filename>.manifest` */
export function manifestFileName(fileName: string): string {
  return fileName + MANIFEST_NAME_SUFFIX;
}

/** `temp-<filename>.manifest` */
export function tempManifestFileName(fileName: string): string {
  return TEMP_FILE_NAME_PREFIX + fileName + MANIFEST_NAME_SUFFIX;
}

/** `temp-<filename>.incr`: where writes go while the first rewrite of a newly enabled AOF runs. */
export function tempIncrFileName(fileName: string): string {
  return TEMP_FILE_NAME_PREFIX + fileName + INCR_FILE_SUFFIX;
}

/** Redis's sdsneedsrepr: quoting is needed for escapes, spaces and non-printable bytes. */
export function needsRepr(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (
      c === 0x5c || c === 0x22 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x07 ||
      c === 0x08 || c < 0x20 || c >= 0x7f || c === 0x20
    ) {
      return true;
    }
  }
  return false;
}

/** Redis's pathIsBaseName: neither '/' nor '\\'. */
function isBaseName(name: string): boolean {
  return !name.includes("/") && !name.includes("\\");
}

/** sdstrim: strips the characters of `set` from both ends. */
function trimSet(s: string, set: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && set.includes(s[start])) start++;
  while (end > start && set.includes(s[end - 1])) end--;
  return s.slice(start, end);
}

/** C's atoll: optional spaces and sign, then digits; 0 when there are none. */
export function atoll(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}
