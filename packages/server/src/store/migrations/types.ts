import { sql, type Kysely, type Migration } from "kysely";
import type { Dialect } from "../../config.js";

export type MigrationFactory = (dialect: Dialect) => Migration;

/** Column types that differ between the dialects. */
export function types(dialect: Dialect) {
  return {
    bytes: dialect === "postgres" ? sql`bytea` : sql`blob`,
    bigint: dialect === "postgres" ? sql`bigint` : sql`integer`,
  };
}

export type AnyDb = Kysely<any>;
