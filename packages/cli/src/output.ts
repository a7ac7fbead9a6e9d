import { loadConfig } from "./config.js";

export type Format = "table" | "json" | "plain";

/** Colour only on a terminal, and never with NO_COLOR set or --no-color. */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== "dumb" && !process.argv.includes("--no-color");
}
const paint = (code: string) => (s: string) => (useColor() ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = paint("1");
export const dim = paint("2");
export const green = paint("32");

export function formatFrom(opts: { json?: boolean; format?: string }): Format {
  if (opts.json) return "json";
  const f = opts.format ?? loadConfig()["output-format"];
  return f === "json" || f === "plain" ? f : "table";
}

export function printJson(value: unknown) {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.join(",");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v).replace(/[\r\n\t]+/g, " ");
}

/** Rows as aligned columns with a header (table) or tab-separated without one (plain). */
export function printRows(format: Format, rows: Record<string, unknown>[], columns: [key: string, header: string][]) {
  if (format === "json") return printJson(rows);
  const data = rows.map((r) => columns.map(([k]) => cell(r[k])));
  if (format === "plain") {
    for (const line of data) process.stdout.write(`${line.join("\t")}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write(`${dim("(none)")}\n`);
    return;
  }
  const headers = columns.map(([, h]) => h);
  const widths = headers.map((h, i) => Math.max(h.length, ...data.map((row) => row[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]))).join("  ");
  process.stdout.write(`${bold(line(headers))}\n`);
  for (const row of data) process.stdout.write(`${line(row)}\n`);
}

/** One object as `key: value` lines (table/plain) or JSON. */
export function printObject(format: Format, obj: Record<string, unknown>, keys?: string[]) {
  if (format === "json") return printJson(obj);
  const ks = keys ?? Object.keys(obj);
  const width = Math.max(...ks.map((k) => k.length));
  for (const k of ks) {
    if (obj[k] === undefined) continue;
    process.stdout.write(format === "plain" ? `${k}\t${cell(obj[k])}\n` : `${bold(k.padEnd(width))}  ${cell(obj[k])}\n`);
  }
}

/** A status line for people; goes to stderr so stdout stays clean for pipes. */
export function note(message: string) {
  process.stderr.write(`${message}\n`);
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** Runs `work`, showing a spinner on stderr if it takes over 150 ms and stderr is a terminal. */
export async function spin<T>(label: string, work: () => Promise<T>): Promise<T> {
  if (!process.stderr.isTTY) return work();
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const start = setTimeout(() => {
    timer = setInterval(() => process.stderr.write(`\r${FRAMES[i++ % FRAMES.length]} ${label}`), 80);
  }, 150);
  try {
    return await work();
  } finally {
    clearTimeout(start);
    if (timer) {
      clearInterval(timer);
      process.stderr.write("\r\x1b[K");
    }
  }
}
