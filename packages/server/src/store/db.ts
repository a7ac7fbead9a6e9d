import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql, type CompiledQuery, type Compilable, type Transaction } from "kysely";
import pg from "pg";
import type { Dialect } from "../config.js";

/** Tables shared by several modules. Module-owned tables are declared in each module's store.ts. */
export interface CoreTables {
  orgs: {
    id: string;
    name: string;
    billing_tier: string;
    created_at: string;
  };
  users: {
    id: string;
    org_id: string;
    email: string;
    password_hash: string | null;
    display_name: string | null;
    role: string;
    auth_method: string;
    email_verified: number;
    marketing_emails: number;
    totp_enabled: number;
    is_platform_admin: number;
    created_at: string;
  };
  server_keys: {
    name: string;
    wrapped: Buffer;
    created_at: string;
  };
  audit_events: {
    id: string;
    org_id: string;
    seq: number;
    action: string;
    actor_id: string;
    actor_type: string;
    resource_type: string;
    resource_id: string | null;
    details: string;
    ip_address: string | null;
    created_at: string;
    prev_hash: string;
    hash: string;
  };
  audit_heads: {
    org_id: string;
    seq: number;
    hash: string;
  };
  revoked_tokens: {
    jti: string;
    expires_at: number;
  };
  email_verifications: {
    token_hash: string;
    user_id: string;
    expires_at: string;
  };
}

export type Db = Kysely<CoreTables>;
export type Tx = Transaction<CoreTables>;

export interface Store {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
  /** PostgreSQL only: the pool (LISTEN/NOTIFY uses its own client) and the schema, when not the default. */
  pgPool?: pg.Pool;
  pgSchema?: string;
  sqliteFile?: string;
}

export interface StoreOptions {
  dialect: Dialect;
  databaseUrl?: string;
  dataDir: string;
  /** PostgreSQL schema to use (tests run each app in its own schema). */
  pgSchema?: string;
  /** SQLite file path; defaults to <dataDir>/oneclaw.db. */
  sqliteFile?: string;
}

// PostgreSQL returns int8 (count(*)) as strings; every count we do fits in a JS number.
pg.types.setTypeParser(20, (v) => Number(v));

export async function openStore(opts: StoreOptions): Promise<Store> {
  if (opts.dialect === "postgres") {
    const options = opts.pgSchema ? `-c search_path=${opts.pgSchema}` : undefined;
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10, options });
    const db = new Kysely<CoreTables>({ dialect: new PostgresDialect({ pool }) });
    await sql`select 1`.execute(db);
    return { db, dialect: "postgres", pgPool: pool, pgSchema: opts.pgSchema, close: () => db.destroy() };
  }
  let file = opts.sqliteFile;
  if (!file && opts.databaseUrl) file = opts.databaseUrl.replace(/^(sqlite:|file:)/, "");
  file ??= path.join(opts.dataDir, "oneclaw.db");
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  const db = new Kysely<CoreTables>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: "sqlite", sqliteFile: file, close: () => db.destroy() };
}

export function nowIso(): string {
  return new Date().toISOString();
}

/** Booleans are stored as 0/1 integers in both dialects so queries stay identical. */
export const bit = (b: boolean | undefined | null): number => (b ? 1 : 0);

/**
 * Kysely prepares every query afresh; reusing prepared statements by SQL text saves that on
 * the hot path. SQLite re-prepares a cached statement by itself after a schema change.
 */
function withStatementCache(sqlite: Database.Database, max = 500) {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let stmt = cache.get(text);
      if (!stmt) {
        stmt = sqlite.prepare(text);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

/**
 * A query built and compiled once, for hot paths: later calls only substitute parameter values
 * (Kysely otherwise rebuilds and recompiles the query on every call). `build` receives the
 * database and placeholders in place of the arguments, and must use each argument exactly once
 * as a value. Create one per store instance (the compiled text depends on the dialect).
 */
export function precompiled<D extends Kysely<any>, A extends unknown[], R>(db: D, build: (db: D, ...args: A) => Compilable<R>) {
  let compiled: { query: CompiledQuery<R>; slots: number[] } | undefined;
  return async (...args: A): Promise<R[]> => {
    if (!compiled) {
      const marks = args.map((_, i) => `\u0000oneclaw-arg-${i}\u0000`);
      const query = build(db, ...(marks as unknown as A)).compile();
      const slots = query.parameters.map((p) => marks.indexOf(p as string));
      if (slots.some((s) => s < 0) || new Set(slots).size !== marks.length) throw new Error("precompiled query must use each argument exactly once as a value");
      compiled = { query, slots };
    }
    const { query, slots } = compiled;
    return (await db.executeQuery<R>({ ...query, parameters: slots.map((s) => args[s]) })).rows;
  };
}

/**
 * Base of every module store: the module's own tables on top of the core ones, and `tx()` to run
 * a query inside a unit-of-work transaction (or on the plain connection when there is none).
 */
export abstract class ModuleStore<T extends Record<string, Record<string, any>>> {
  protected readonly db: Kysely<CoreTables & T>;
  constructor(db: Db) {
    this.db = db.withTables<T>();
  }
  protected tx(trx?: Tx | Db): Kysely<CoreTables & T> {
    return (trx as unknown as Kysely<CoreTables & T> | undefined) ?? this.db;
  }
}
