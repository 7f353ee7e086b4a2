/**
 * The command table: every family's specs, looked up by name. COMMAND,
 * COMMAND INFO/DOCS/LIST/COUNT read it, so what is listed is what exists.
 */
import type { CommandSpec } from "./types.ts";

const commands = new Map<string, CommandSpec>();

/** Adds a family's commands to the table. */
export function registerCommands(specs: readonly CommandSpec[]): void {
  for (const spec of specs) {
    commands.set(spec.name, spec);
    commands.set(spec.name.toUpperCase(), spec);
  }
}

/**
 * `rename-command from to` (config.c): the spec moves to the new name, or
 * leaves the table when `to` is empty. COMMAND still names it by its own
 * name, as Redis does. The config has checked both names already.
 */
export function renameCommand(from: string, to: string): void {
  const spec = lookupCommand(from);
  if (spec === undefined) return;
  for (const [name, found] of commands) if (found === spec) commands.delete(name);
  if (to !== "") {
    commands.set(to.toLowerCase(), spec);
    commands.set(to.toUpperCase(), spec);
  }
  lastName = "";
  lastSpec = undefined;
}

/** The last name looked up and its spec: pipelines repeat one command, and comparing a short string beats hashing it. */
let lastName = "";
let lastSpec: CommandSpec | undefined;

/** Finds a command by name in any case. */
export function lookupCommand(name: string): CommandSpec | undefined {
  if (name === lastName) return lastSpec;
  const spec = commands.get(name) ?? commands.get(name.toLowerCase());
  if (spec !== undefined) {
    lastName = name;
    lastSpec = spec;
  }
  return spec;
}

/** Finds a subcommand of `container` in any case. */
export function lookupSubcommand(container: CommandSpec, name: string): CommandSpec | undefined {
  const full = container.name + "|" + name.toLowerCase();
  return container.subcommands?.find((sub) => sub.name === full);
}

/** Every registered top-level command, once each. */
export function allCommands(): CommandSpec[] {
  return [...new Set(commands.values())];
}
