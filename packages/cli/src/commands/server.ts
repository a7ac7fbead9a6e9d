import type { Command } from "commander";

export function registerServer(program: Command) {
  program
    .command("server")
    .description("Run the Vault API or a server admin command (`1claw server start`; `1claw server help` lists them)")
    .argument("[command]", "server command", "start")
    .argument("[args...]", "arguments for it")
    .allowUnknownOption()
    .helpOption(false)
    .action(async (name: string, args: string[]) => {
      // Loaded only here: the server and its dependencies are heavy and no other command needs them.
      const { runServerCommand } = await import("@oneclaw/server/commands");
      const code = await runServerCommand([name, ...args]);
      process.exitCode = code;
    });
}
