/**
 * Server administration commands, run by `1claw server <command>` and `oneclaw-server <command>`.
 * Each command reads the same environment as the server (see config.ts).
 */
import { keyCommands } from "./modules/keys/commands.js";

export type ServerCommand = (args: string[]) => Promise<number>;

export const serverCommands: Record<string, { summary: string; run: ServerCommand }> = {
  start: {
    summary: "Run the Vault API (same as npm start)",
    run: async () => {
      await import("./main.js");
      return new Promise<number>(() => undefined);
    },
  },
};
Object.assign(serverCommands, keyCommands);

export async function runServerCommand(argv: string[]): Promise<number> {
  const [name = "start", ...rest] = argv;
  const cmd = serverCommands[name];
  if (!cmd) {
    process.stderr.write(`unknown server command "${name}"; available: ${Object.keys(serverCommands).join(", ")}\n`);
    return 2;
  }
  return cmd.run(rest);
}
