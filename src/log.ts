/**
 * Redis-format log lines: `pid:role dd Mon yyyy HH:MM:SS.mmm <level> message`.
 *
 * Redis writes each line synchronously (fopen/fprintf/fclose); we do the same
 * with one open file handle, because operators expect a line to be on disk
 * when the event it describes has happened, and log lines are rare.
 */

/** Redis's log levels, lowest first. */
export type LogLevel = "debug" | "verbose" | "notice" | "warning";

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3 };
const LEVEL_CHAR: Record<LogLevel, string> = {
  debug: ".",
  verbose: "-",
  notice: "*",
  warning: "#",
};
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The role letter after the pid: C while loading config, M master, S replica, X sentinel. */
export type LogRole = "C" | "M" | "S" | "X";

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Formats a timestamp the way Redis's serverLogRaw does ("%d %b %Y %H:%M:%S.%03d"). */
export function formatLogTime(date: Date): string {
  return `${pad(date.getDate())} ${MONTHS[date.getMonth()]} ${date.getFullYear()} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.` +
    pad(date.getMilliseconds(), 3);
}

const encoder = new TextEncoder();

/** The server's logger: level, destination and the role letter. */
export class Logger {
  level: LogLevel = "notice";
  role: LogRole = "C";
  readonly pid = Deno.pid;
  #file: Deno.FsFile | undefined;
  #path = "";

  /** Sends lines to `path`, or to stdout when `path` is "" (Redis's `logfile ""`). */
  setFile(path: string): void {
    if (path === this.#path) return;
    this.#file?.close();
    this.#file = undefined;
    this.#path = path;
    if (path !== "") {
      this.#file = Deno.openSync(path, { append: true, create: true, write: true });
    }
  }

  /** True when a line at `level` would be written. */
  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= LEVEL_RANK[this.level];
  }

  log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    this.raw(
      `${this.pid}:${this.role} ${formatLogTime(new Date())} ${LEVEL_CHAR[level]} ${message}\n`,
    );
  }

  debug(message: string): void {
    this.log("debug", message);
  }
  verbose(message: string): void {
    this.log("verbose", message);
  }
  notice(message: string): void {
    this.log("notice", message);
  }
  warning(message: string): void {
    this.log("warning", message);
  }

  /** Writes a preformatted line (Redis's serverLogRaw, used e.g. by the signal handler). */
  raw(line: string): void {
    const bytes = encoder.encode(line);
    try {
      if (this.#file) this.#file.writeSync(bytes);
      else Deno.stdout.writeSync(bytes);
    } catch {
      // Like Redis, a log line that cannot be written is dropped, never fatal.
    }
  }

  close(): void {
    this.#file?.close();
    this.#file = undefined;
    this.#path = "";
  }
}

/** The process-wide logger. */
export const log = new Logger();
