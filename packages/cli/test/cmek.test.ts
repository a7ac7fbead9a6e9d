import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../../sdk/test/server.js";
import { cli, tempHome } from "./cli.js";

let srv: Awaited<ReturnType<typeof startServer>>;
let home: ReturnType<typeof tempHome>;
let token: string;
let vaultId: string;
let plainVault: string;
const key = crypto.randomBytes(32);
let keyFile: string;

const run = (args: string[], input?: string) => cli(args, { env: { ...home.env, ONECLAW_API_URL: srv.baseUrl, ONECLAW_TOKEN: token }, input });
const api = async (method: string, url: string, body?: unknown) => {
  const r = await fetch(srv.baseUrl + url, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return r.json();
};

beforeAll(async () => {
  srv = await startServer();
  home = tempHome();
  token = (await srv.t.signup()).token;
  vaultId = (await api("POST", "/v1/vaults", { name: "cli-cmek" })).id;
  plainVault = (await api("POST", "/v1/vaults", { name: "cli-plain" })).id;
  await api("POST", `/v1/vaults/${vaultId}/cmek`, { fingerprint: crypto.createHash("sha256").update(key).digest("hex") });
  keyFile = path.join(home.home, "cmek.key");
  fs.writeFileSync(keyFile, key.toString("base64") + "\n", { mode: 0o600 });
});
afterAll(async () => srv?.t.destroy());

describe("1claw secret set/get --cmek-key-file", () => {
  it("encrypts on set and decrypts on get, transparently", async () => {
    const set = await run(["secret", "set", "db/url", "--vault", vaultId, "--cmek-key-file", keyFile], "postgres://user:CANARY-pw@db/prod\n");
    expect(set.code, set.stderr).toBe(0);
    // the server holds only the client's blob
    const raw = await api("GET", `/v1/vaults/${vaultId}/secrets/db/url`);
    expect(raw.cmek_encrypted).toBe(true);
    expect(raw.value).not.toContain("CANARY");
    expect(Buffer.from(raw.value, "base64")[0]).toBe(1);
    const get = await run(["secret", "get", "db/url", "--vault", vaultId, "--cmek-key-file", keyFile]);
    expect([get.code, get.stdout]).toEqual([0, "postgres://user:CANARY-pw@db/prod"]);
    const json = await run(["secret", "get", "db/url", "--vault", vaultId, "--cmek-key-file", keyFile, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ value: "postgres://user:CANARY-pw@db/prod", cmek_encrypted: true });
  });

  it("accepts hex and raw key files too", async () => {
    const hexFile = path.join(home.home, "cmek.hex");
    const rawFile = path.join(home.home, "cmek.bin");
    fs.writeFileSync(hexFile, key.toString("hex"));
    fs.writeFileSync(rawFile, key);
    expect((await run(["secret", "set", "hex", "v-hex", "--vault", vaultId, "--cmek-key-file", hexFile])).code).toBe(0);
    expect((await run(["secret", "get", "hex", "--vault", vaultId, "--cmek-key-file", rawFile])).stdout).toBe("v-hex");
  });

  it("without the key, get prints the blob and says it is encrypted", async () => {
    const r = await run(["secret", "get", "db/url", "--vault", vaultId]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("CANARY");
    expect(r.stderr).toMatch(/CMEK-encrypted; pass --cmek-key-file/);
  });

  it("refuses a wrong key, a malformed key file and a vault without CMEK (usage errors, key never printed)", async () => {
    const other = path.join(home.home, "other.key");
    fs.writeFileSync(other, crypto.randomBytes(32).toString("base64"));
    const wrongSet = await run(["secret", "set", "x", "v", "--vault", vaultId, "--cmek-key-file", other]);
    expect(wrongSet.code).toBe(2);
    expect(wrongSet.stderr).toMatch(/is not this vault's CMEK key/);
    const wrongGet = await run(["secret", "get", "db/url", "--vault", vaultId, "--cmek-key-file", other]);
    expect(wrongGet.code).toBe(2);
    expect(wrongGet.stderr).toMatch(/CMEK decryption failed/);
    const bad = path.join(home.home, "bad.key");
    fs.writeFileSync(bad, "not a key");
    const badSet = await run(["secret", "set", "x", "v", "--vault", vaultId, "--cmek-key-file", bad]);
    expect([badSet.code, badSet.stderr]).toEqual([2, expect.stringMatching(/does not hold a 32-byte CMEK key/)]);
    const plain = await run(["secret", "set", "x", "v", "--vault", plainVault, "--cmek-key-file", keyFile]);
    expect([plain.code, plain.stderr]).toEqual([2, expect.stringMatching(/does not have CMEK enabled/)]);
    for (const r of [wrongSet, wrongGet, badSet, plain]) expect(r.stderr + r.stdout).not.toContain(key.toString("base64"));
  });
});
