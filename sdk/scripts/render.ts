import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

/** Quotes a value for bash so that it stays one literal word, whatever it holds. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A short, stable hash of rendered content, for triggers and change detection. */
export function contentHash(content: string): string {
  return createHash("sha256").update(content).digest("hex").slice(0, 16);
}

const COMMON_MARKER = "# @fortress-common";
const PLACEHOLDER = /@@([A-Z][A-Z0-9_]*)@@/g;

/** The helpers every host script shares, inlined where a template has the `# @fortress-common` line. */
export function commonShellLibrary(): string {
  return shippedFile(path.join(__dirname, "common.sh"));
}

const shipped = new Map<string, string>();
/** A file that ships with the package (a script template), read once: it does not change while a program runs. */
export function shippedFile(file: string): string {
  let text = shipped.get(file);
  if (text === undefined) {
    text = fs.readFileSync(file, "utf8");
    shipped.set(file, text);
  }
  return text;
}

/**
 * Fills a script template. Each `@@NAME@@` placeholder becomes the shell-quoted value, so data can
 * never turn into code; the template decides where values go and must use them as whole words
 * (`NAME=@@NAME@@`). A placeholder without a value, or a value no placeholder uses, is a bug in
 * the caller and throws.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  const c = compiled(template);
  // Hosts of one role get the same script (a hundred agents, one k3s install): fill it once. The
  // memo is a tree keyed by each raw value in turn, so a repeat quotes nothing and copies nothing.
  for (const name of c.unique)
    if (!(name in values)) throw new Error(`script template needs a value for @@${name}@@`);
  const given = Object.keys(values);
  if (given.length !== c.unique.length) {
    const unused = given.filter((k) => !c.unique.includes(k));
    throw new Error(`script template has no placeholder for ${unused.join(", ")}`);
  }
  let node = c.rendered;
  for (const name of c.unique) {
    const value = String(values[name]);
    let next = node.next.get(value);
    if (next === undefined) {
      next = { next: new Map() };
      node.next.set(value, next);
    }
    node = next;
  }
  if (node.script === undefined) {
    const out = [c.texts[0]];
    c.names.forEach((name, i) => out.push(shellQuote(String(values[name])), c.texts[i + 1]));
    node.script = out.join("");
    spend(node.script.length);
  }
  return node.script;
}

// Filled scripts and command lines are kept for reuse up to a budget of characters; past it they
// start again, so a long-running program (a test run, an automation API server) never grows them
// without end. Prod + 100 agents fills about 5.5 M characters of distinct scripts.
const MEMO_CHARS = 16_000_000;
let memoChars = 0;
function spend(chars: number): void {
  memoChars += chars;
  if (memoChars <= MEMO_CHARS) return;
  compiledTemplates.forEach((c) => c.rendered.next.clear());
  commandLines.clear();
  memoChars = chars;
}

/**
 * Forgets every template read, cut and filled, and every command line: the next evaluation starts
 * as the first one in a new process does. For benchmarks, so that a run does not reuse the
 * scripts an earlier run filled.
 */
export function forgetScriptMemos(): void {
  shipped.clear();
  compiledTemplates.clear();
  commandLines.clear();
  memoChars = 0;
}

/** A template cut at its placeholders, the common library already inlined (the library has none). */
interface CompiledTemplate {
  readonly texts: readonly string[];
  readonly names: readonly string[];
  /** The names in the order they first appear, each once. */
  readonly unique: readonly string[];
  /** Scripts already filled, by their values in the order of `unique`. */
  readonly rendered: FilledScripts;
}
interface FilledScripts {
  readonly next: Map<string, FilledScripts>;
  script?: string;
}
// Templates are few and rendered once per host: cut each once.
const compiledTemplates = new Map<string, CompiledTemplate>();
function compiled(template: string): CompiledTemplate {
  let c = compiledTemplates.get(template);
  if (c === undefined) {
    const parts = template.split(PLACEHOLDER);
    const texts = parts.filter((_, i) => i % 2 === 0);
    const names = parts.filter((_, i) => i % 2 === 1);
    const common = texts.findIndex((t) => t.includes(COMMON_MARKER));
    if (common >= 0) texts[common] = texts[common].replace(COMMON_MARKER, commonShellLibrary().trimEnd());
    c = { texts, names, unique: [...new Set(names)], rendered: { next: new Map() } };
    if (compiledTemplates.size < 256) compiledTemplates.set(template, c);
  }
  return c;
}

/** Reads a template that ships next to a component and fills it. */
export function renderScriptFile(file: string, values: Readonly<Record<string, string | number>>): string {
  return renderTemplate(shippedFile(file), values);
}

const SCRIPT_END = "FORTRESS_SCRIPT_END";
const SCRIPT_END_LINE = new RegExp(`^${SCRIPT_END}$`, "m");

/**
 * The command line that runs a rendered script on a host, as `@pulumi/command` sends it: the
 * script verbatim in a quoted here-document (readable in a diff, no escaping), handed to
 * `bash -c` so the login shell does not matter, under `sudo -n` for a user other than root.
 * Standard input stays free for secrets.
 */
export function bashCommand(script: string, user: string, scriptName: string): string {
  // Keyed by the script itself: a script filled once (renderTemplate) is one string, so most
  // lookups compare a pointer, not ten kilobytes.
  const forScript = commandLines.get(script);
  const who = `${user}\u0000${scriptName}`;
  const known = forScript?.get(who);
  if (known !== undefined) return known;
  if (script.includes(SCRIPT_END) && SCRIPT_END_LINE.test(script))
    throw new Error(`a script must not contain a line ${SCRIPT_END}`);
  const sudo = user === "root" ? "" : "sudo -n ";
  const body = script.endsWith("\n") ? script.slice(0, -1) : script;
  // One join: a flat string, copied once, where a template literal would be copied again on first read.
  const line = [
    sudo,
    `bash -c "$(cat <<'${SCRIPT_END}'\n`,
    body,
    `\n${SCRIPT_END}\n)" `,
    shellQuote(scriptName),
  ].join("");
  spend(line.length);
  if (forScript) forScript.set(who, line);
  else commandLines.set(script, new Map([[who, line]]));
  return line;
}
const commandLines = new Map<string, Map<string, string>>();

/** The script inside a command line made by `bashCommand` (for the offline render and reviews). */
export function scriptOfCommand(command: string): string | undefined {
  const start = command.indexOf(`<<'${SCRIPT_END}'\n`);
  const end = command.lastIndexOf(`\n${SCRIPT_END}\n`);
  if (start < 0 || end < start) return undefined;
  return command.slice(start + SCRIPT_END.length + 5, end) + "\n";
}
