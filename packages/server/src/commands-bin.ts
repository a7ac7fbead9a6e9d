#!/usr/bin/env node
import { runServerCommand } from "./commands.js";

// `oneclaw-server-cmd <command> [args]`: the server commands without the CLI package.
process.exitCode = await runServerCommand(process.argv.slice(2));
