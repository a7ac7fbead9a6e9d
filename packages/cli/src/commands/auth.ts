import type { Command } from "commander";
import type { OneclawClient } from "@oneclaw/sdk";
import { updateConfig, loadConfig, mask } from "../config.js";
import { CliError, EXIT, fromApiError } from "../errors.js";
import { ask } from "../input.js";
import { formatFrom, note, printObject, spin } from "../output.js";
import { anonymousClient, apiUrl, authedClient, call, type GlobalOptions, sdk } from "../session.js";

function saveLogin(token: string, principal: string, apiKey?: string) {
  updateConfig((c) => {
    c.token = token;
    c.principal = principal;
    if (apiKey) c["api-key"] = apiKey;
    else delete c["api-key"];
  });
}

async function loginWithPassword(client: OneclawClient, email: string, mfaCode?: string) {
  const password = await ask("Password: ", { hidden: true });
  const res = await spin("Signing in", () => client.auth.login({ email, password }));
  if (res.error) throw fromApiError(res.error, "login failed");
  let token = res.data.access_token ?? "";
  if (res.data.mfa_required) {
    const code = mfaCode ?? (await ask("MFA code (or a recovery code): "));
    const verified = await spin("Verifying", () => client.auth.mfaVerify(res.data.mfa_token ?? "", code.trim()));
    if (verified.error) throw fromApiError(verified.error, "MFA verification failed");
    token = verified.data.access_token;
  }
  if (!token) throw new CliError("the server answered without a token", EXIT.auth);
  saveLogin(token, email);
  note(`Logged in as ${email}`);
}

async function loginWithApiKey(opts: GlobalOptions, key: string) {
  const client = (await sdk()).createClient({ baseUrl: apiUrl(opts), apiKey: key });
  const exchange = await spin("Exchanging API key", () => client.http.exchangeApiKey());
  if (exchange.error) throw fromApiError(exchange.error, "login failed");
  const principal = client.agentId ? `agent ${client.agentId}` : `API key ${mask(key)}`;
  saveLogin(exchange.data.access_token, principal, key);
  note(`Logged in with ${principal}`);
}

/** RFC 8628: show the user code, poll until approved, denied or expired. */
async function loginWithDevice(opts: GlobalOptions, client: OneclawClient, mfaCode?: string) {
  const started = await spin("Requesting a device code", () => client.auth.deviceCode("1claw-cli"));
  if (started.error) {
    if ((started.error.status === 404 || started.error.status === 405) && process.stdin.isTTY) {
      note("This server does not offer device login; signing in with email and password.");
      return loginWithPassword(client, (await ask("Email: ")).trim(), mfaCode);
    }
    if (started.error.status === 404 || started.error.status === 405) {
      throw new CliError("this server does not offer device login: use `1claw login --email <email>` or `1claw login --api-key`", EXIT.usage);
    }
    throw fromApiError(started.error, "device login failed");
  }
  const { device_code, user_code, verification_uri, verification_uri_complete, expires_in = 600 } = started.data;
  let interval = Math.max(1, started.data.interval ?? 5);
  const url = verification_uri_complete ?? `${verification_uri}?code=${encodeURIComponent(user_code)}`;
  note(`To sign in, open ${url}\nand check that it shows the code ${user_code}. Waiting for approval…`);
  const deadline = Date.now() + expires_in * 1000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, interval * 1000));
    const res = await client.auth.deviceToken(device_code);
    const body = (res.data ?? (res.error?.body as any)) ?? {};
    if (body.access_token) {
      saveLogin(body.access_token, body.email ?? body.user_id ?? "device login");
      note(`Logged in${body.email ? ` as ${body.email}` : ""}`);
      return;
    }
    if (body.error === "authorization_pending") continue;
    if (body.error === "slow_down") {
      interval += 5;
      continue;
    }
    if (body.error === "access_denied") throw new CliError("login was denied", EXIT.auth);
    if (body.error === "expired_token") break;
    if (res.error) throw fromApiError(res.error, "device login failed");
  }
  throw new CliError("the device code expired before it was approved; run `1claw login` again", EXIT.auth);
}

export function registerAuth(program: Command) {
  program
    .command("login")
    .description("Sign in: device flow (default), --email with password (+ MFA), or --api-key")
    .option("--email <email>", "sign in with email and password (password prompted, or read from stdin)")
    .option("--api-key [key]", "sign in with a 1ck_ personal key or an ocv_ agent key (prompted or read from stdin when omitted)")
    .option("--mfa-code <code>", "TOTP or recovery code, if the account has MFA")
    .action(async (o, cmd: Command) => {
      const g = cmd.optsWithGlobals() as GlobalOptions;
      if (o.apiKey !== undefined) {
        const key = typeof o.apiKey === "string" ? o.apiKey : (await ask("API key: ", { hidden: true })).trim();
        return loginWithApiKey(g, key);
      }
      const client = await anonymousClient(g);
      if (o.email) return loginWithPassword(client, o.email, o.mfaCode);
      return loginWithDevice(g, client, o.mfaCode);
    });

  program
    .command("logout")
    .description("Revoke the stored token on the server and forget the stored credentials")
    .action(async (_o, cmd: Command) => {
      const g = cmd.optsWithGlobals() as GlobalOptions;
      const cfg = loadConfig();
      if (cfg.token) {
        const client = (await sdk()).createClient({ baseUrl: apiUrl(g, cfg), token: cfg.token });
        const res = await spin("Revoking token", () => client.auth.logout());
        // An expired or already revoked token is as good as logged out; anything else is reported.
        if (res.error && res.error.status !== 401) note(`warning: could not revoke the token on the server: ${res.error.detail}`);
      }
      updateConfig((c) => {
        delete c.token;
        delete c["api-key"];
        delete c.principal;
      });
      note("Logged out");
      if (process.env.ONECLAW_TOKEN || process.env.ONECLAW_API_KEY) note("note: ONECLAW_TOKEN / ONECLAW_API_KEY are still set in this environment");
    });

  program
    .command("whoami")
    .description("Show who the current credentials belong to")
    .action(async (_o, cmd: Command) => {
      const g = cmd.optsWithGlobals() as GlobalOptions;
      const client = await authedClient(g);
      const me = await spin("Checking", () => client.auth.me());
      if (!me.error) {
        const { id, email, display_name, role, totp_enabled } = me.data;
        return printObject(formatFrom(g), { type: "user", id, email, display_name, role, mfa: totp_enabled });
      }
      if (me.error.status !== 403) throw fromApiError(me.error);
      const agent = await call("Checking", () => client.agents.me());
      printObject(formatFrom(g), { type: "agent", id: agent.id, name: agent.name, org_id: agent.org_id, vault_ids: client.vaultIds ?? agent.vault_ids, is_active: agent.is_active });
    });
}
