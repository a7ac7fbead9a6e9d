/** Where the MCP server reports what it does. Callers pass only paths and kinds — never values. */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** JSON lines on stderr (stdout belongs to the stdio protocol). */
export const stderrLogger: Logger = {
  info: (msg, fields) => process.stderr.write(`${JSON.stringify({ level: "info", time: new Date().toISOString(), msg, ...fields })}\n`),
  warn: (msg, fields) => process.stderr.write(`${JSON.stringify({ level: "warn", time: new Date().toISOString(), msg, ...fields })}\n`),
};

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined };
