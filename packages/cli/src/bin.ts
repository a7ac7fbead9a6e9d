#!/usr/bin/env node
// Answer --version before loading anything else; everything else goes through the command tree.
if (process.argv[2] === "--version" || process.argv[2] === "-V") {
  process.stdout.write("0.1.0\n");
} else {
  const { main } = await import("./main.js");
  await main(process.argv);
}
