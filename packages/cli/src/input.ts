import readline from "node:readline";
import { CliError, EXIT } from "./errors.js";

let stdinText: Promise<string> | undefined;
let stdinLines: string[] | undefined;

/** All of standard input (read once). */
export function readStdin(): Promise<string> {
  stdinText ??= new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on("data", (c) => chunks.push(c));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
  return stdinText;
}

/** Next line of piped standard input (for answers to prompts when not on a terminal). */
async function nextPipedLine(what: string): Promise<string> {
  stdinLines ??= (await readStdin()).split(/\r?\n/);
  const line = stdinLines.shift();
  if (line === undefined || (line === "" && stdinLines.length === 0)) {
    throw new CliError(`${what} is required (no terminal to ask on, and standard input is empty)`, EXIT.usage);
  }
  return line;
}

/** Asks a question on the terminal (echo off for `hidden`), or reads the next line of piped stdin. */
export async function ask(question: string, opts: { hidden?: boolean } = {}): Promise<string> {
  if (!process.stdin.isTTY) return nextPipedLine(question.replace(/[:?]\s*$/, ""));
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (opts.hidden) {
    (rl as any)._writeToOutput = (s: string) => {
      if (s.startsWith(question) || s === "\r\n" || s === "\n") process.stderr.write(s.startsWith(question) ? question : s);
    };
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    rl.close();
    if (opts.hidden) process.stderr.write("\n");
  }
}

/** Asks for confirmation; off a terminal the caller must pass --yes instead. */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) throw new CliError(`refusing without --yes (not a terminal): ${question}`, EXIT.usage);
  const answer = await ask(`${question} [y/N] `);
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("aborted", EXIT.failure);
}
