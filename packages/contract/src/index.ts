export * from "./common.js";
export * from "./auth.js";
export * from "./vaults.js";
export * from "./secrets.js";
export * from "./audit.js";
export * from "./health.js";
export * from "./cmek.js";
