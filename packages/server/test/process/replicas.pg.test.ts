/** Several replicas on one database (PostgreSQL only; runs when PostgreSQL is up, always in CI). */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { dropSchema, PG_URL, STRONG_PASSWORD } from "../helpers.js";

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-replicas-"));

describe("replicas", () => {
  it("several replicas can start at once on one fresh PostgreSQL schema", async () => {
    const schema = `t_multi_${crypto.randomBytes(4).toString("hex")}`;
    const dir = tmpDir();
    const masterKey = crypto.randomBytes(32).toString("hex");
    const config = loadConfig({ ONECLAW_DATA_DIR: dir, DATABASE_URL: PG_URL, ONECLAW_MASTER_KEY: masterKey, LOG_LEVEL: "silent" });
    try {
      const apps = await Promise.all([1, 2, 3].map(() => buildApp({ config, pgSchema: schema })));
      try {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        const applied = await c.query(`select name from "${schema}".kysely_migration`);
        const keys = await c.query(`select name from "${schema}".server_keys`);
        await c.end();
        expect(new Set(applied.rows.map((r) => r.name)).size).toBe(applied.rows.length);
        expect(applied.rows.length).toBeGreaterThan(0);
        expect(keys.rows.map((r) => r.name).sort()).toEqual([...new Set(keys.rows.map((r) => r.name))].sort());
        // A token issued by one replica is accepted by another (same signing key).
        await apps[0].app.ready();
        const s = await apps[0].app.inject({ method: "POST", url: "/v1/auth/signup", payload: { email: "r@example.com", password: STRONG_PASSWORD } });
        const token = s.json().access_token;
        const me = await apps[2].app.inject({ method: "GET", url: "/v1/auth/me", headers: { authorization: `Bearer ${token}` } });
        expect(me.statusCode).toBe(200);
      } finally {
        await Promise.all(apps.map((a) => a.close()));
      }
    } finally {
      await dropSchema(schema);
    }
  });
});
