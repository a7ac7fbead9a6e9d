import type { AddressInfo } from "node:net";
import { startApp, type TestApp } from "../../server/test/helpers.js";

export { STRONG_PASSWORD } from "../../server/test/helpers.js";

/** The real Vault API on a real loopback socket (fresh SQLite database and data dir). */
export async function startServer(env: Record<string, string> = {}): Promise<{ t: TestApp; baseUrl: string }> {
  const t = await startApp({ env });
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = t.app.server.address() as AddressInfo;
  return { t, baseUrl: `http://127.0.0.1:${port}` };
}
