#!/usr/bin/env node
// Committed (not built) so that npm links the `1claw` command at install time, before the first build.
import "../dist/bin.js";
