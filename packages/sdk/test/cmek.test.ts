import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cmekDecrypt, cmekDecryptBytes, cmekEncrypt, cmekFingerprint, createClient, fromBase64, generateCmekKey, toBase64, unwrap, type OneclawClient } from "../src/index.js";
import { startServer } from "./server.js";

describe("CMEK helpers (WebCrypto)", () => {
  it("generates 32-byte keys and fingerprints them as SHA-256 hex", async () => {
    const key = generateCmekKey();
    expect(key).toBeInstanceOf(Uint8Array);
    expect(key.length).toBe(32);
    expect(generateCmekKey()).not.toEqual(key);
    expect(await cmekFingerprint(key)).toBe(crypto.createHash("sha256").update(key).digest("hex"));
  });

  it("encrypts to base64(0x01 ‖ IV ‖ ciphertext ‖ tag) that Node's AES-GCM opens, and back", async () => {
    const key = generateCmekKey();
    const text = "pässwörd ✓ " + "x".repeat(100_000);
    const blob = await cmekEncrypt(key, text);
    const bytes = Buffer.from(blob, "base64");
    expect(bytes[0]).toBe(1);
    expect(bytes.length).toBe(1 + 12 + Buffer.byteLength(text) + 16);
    const d = crypto.createDecipheriv("aes-256-gcm", key, bytes.subarray(1, 13));
    d.setAuthTag(bytes.subarray(bytes.length - 16));
    expect(Buffer.concat([d.update(bytes.subarray(13, bytes.length - 16)), d.final()]).toString()).toBe(text);
    expect(await cmekDecrypt(key, blob)).toBe(text);
    // fresh IV each time
    expect(await cmekEncrypt(key, "same")).not.toBe(await cmekEncrypt(key, "same"));
    expect(await cmekDecryptBytes(key, await cmekEncrypt(key, new Uint8Array([0, 1, 2])))).toEqual(new Uint8Array([0, 1, 2]));
  });

  it("fails closed on a wrong key, a flipped bit, a bad version byte and bad key sizes", async () => {
    const key = generateCmekKey();
    const blob = await cmekEncrypt(key, "secret");
    await expect(cmekDecrypt(generateCmekKey(), blob)).rejects.toThrow(/wrong key or altered value/);
    const flipped = fromBase64(blob);
    flipped[flipped.length - 1]! ^= 1;
    await expect(cmekDecrypt(key, toBase64(flipped))).rejects.toThrow(/wrong key or altered value/);
    const v2 = fromBase64(blob);
    v2[0] = 2;
    await expect(cmekDecrypt(key, toBase64(v2))).rejects.toThrow(/not a CMEK blob/);
    await expect(cmekDecrypt(key, "AQID")).rejects.toThrow(/not a CMEK blob/);
    await expect(cmekEncrypt(new Uint8Array(16), "x")).rejects.toThrow(/32 bytes/);
  });
});

describe("CMEK through the SDK against the server", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let client: OneclawClient;
  beforeAll(async () => {
    srv = await startServer();
    client = createClient({ baseUrl: srv.baseUrl, token: (await srv.t.signup()).token });
  });
  afterAll(async () => srv?.t.destroy());

  it("enables CMEK, round-trips values, rotates the key server-side and disables", async () => {
    const vaultId = unwrap(await client.vaults.create({ name: "sdk-cmek" })).id;
    const a = generateCmekKey();
    const on = unwrap(await client.vaults.enableCmek(vaultId, await cmekFingerprint(a)));
    expect(on).toMatchObject({ cmek_enabled: true, cmek_fingerprint: await cmekFingerprint(a) });
    for (let i = 0; i < 5; i++) unwrap(await client.secrets.set(vaultId, `k/${i}`, await cmekEncrypt(a, `value ${i}`)));
    const got = unwrap(await client.secrets.get(vaultId, "k/3"));
    expect(got.cmek_encrypted).toBe(true);
    expect(await cmekDecrypt(a, got.value)).toBe("value 3");

    const b = generateCmekKey();
    const job = unwrap(await client.vaults.rotateCmek(vaultId, a, b, await cmekFingerprint(b)));
    expect(job).toMatchObject({ status: "running", total_secrets: 5 });
    let state = job;
    while (state.status === "running") state = unwrap(await client.vaults.cmekRotation(vaultId, job.id));
    expect(state).toMatchObject({ status: "completed", processed: 5 });
    for (let i = 0; i < 5; i++) expect(await cmekDecrypt(b, unwrap(await client.secrets.get(vaultId, `k/${i}`)).value)).toBe(`value ${i}`);

    const wrong = await client.vaults.rotateCmek(vaultId, a, generateCmekKey(), await cmekFingerprint(b));
    expect(wrong.error?.status).toBe(400);
    const off = unwrap(await client.vaults.disableCmek(vaultId));
    expect(off.cmek_enabled).toBe(false);
  });
});
