import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { createClient, unwrap } from "../src/index.js";
import { signup, spawnServer } from "./server.js";

// The server runs as its own process here so that moving this process's clock does not move the server's.
let srv: Awaited<ReturnType<typeof spawnServer>>;
beforeAll(async () => {
  srv = await spawnServer();
});
afterAll(async () => srv?.stop());
afterEach(() => vi.useRealTimers());

it("renews 60 s before expiry (half the lifetime for short tokens) without waiting for a 401", async () => {
  const { token } = await signup(srv.baseUrl);
  const human = createClient({ baseUrl: srv.baseUrl, token });
  const created = unwrap(await human.agents.create({ name: "short-lived", token_ttl_seconds: 60 }));
  const calls: string[] = [];
  const client = createClient({
    baseUrl: srv.baseUrl,
    apiKey: created.api_key,
    fetch: (input, init) => (calls.push(new URL(String(input)).pathname), fetch(input, init)),
  });
  const first = await client.getToken();
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + 20_000);
  expect(await client.getToken()).toBe(first); // 40 s of 60 left: still fresh
  vi.setSystemTime(Date.now() + 15_000);
  const second = await client.getToken(); // 25 s left: inside the 30 s margin
  expect(second).not.toBe(first);
  expect(calls.filter((c) => c === "/v1/auth/agent-token")).toHaveLength(2);

  const long = unwrap(await human.agents.create({ name: "hour", token_ttl_seconds: 3600 }));
  const c2 = createClient({ baseUrl: srv.baseUrl, apiKey: long.api_key });
  const t1 = await c2.getToken();
  vi.setSystemTime(Date.now() + 3600_000 - 61_000);
  expect(await c2.getToken()).toBe(t1); // 61 s left
  vi.setSystemTime(Date.now() + 2_000);
  expect(await c2.getToken()).not.toBe(t1); // 59 s left
});
