import type { AddressInfo } from "node:net";
import * as OTPAuth from "otpauth";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STRONG_PASSWORD, startApp, type TestApp } from "../helpers.js";

const GRANT = "urn:ietf:params:oauth:grant-type:device_code";
let t: TestApp;
let base: string;
let browser: Browser;

beforeAll(async () => {
  t = await startApp();
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: process.env.ONECLAW_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-extensions", "--no-first-run"],
  });
});
afterAll(async () => {
  await browser?.close();
  await t?.destroy();
});

/** A page that records console errors (CSP violations show up there) and uncaught exceptions. */
async function openPage(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(url);
  return { page, problems };
}

async function deviceCode() {
  const r = await t.req("POST", "/v1/auth/device/code", { body: { client_id: "1claw-cli" } });
  return r.body as { device_code: string; user_code: string };
}

describe("device approval page in chromium", () => {
  it("a human signs in on the page and approves; the CLI's poll then gets a token", async () => {
    const u = await t.signup();
    const c = await deviceCode();
    const { page, problems } = await openPage(`${base}/cli/verify?code=${c.user_code}`);
    expect(await page.inputValue("#user-code")).toBe(c.user_code);
    await page.fill("#email", u.email);
    await page.fill("#password", STRONG_PASSWORD);
    await page.click("#login-button");
    await page.waitForSelector("#decision:not([hidden])");
    expect(await page.textContent("#client-id")).toBe("1claw-cli");
    expect(await page.textContent("#code-status")).toBe("pending");
    await page.click("#approve-button");
    await page.waitForFunction(() => document.getElementById("message")?.textContent?.startsWith("Approved"));
    const tok = await t.req("POST", "/v1/auth/device/token", { body: { device_code: c.device_code, grant_type: GRANT } });
    expect(tok.body.user_id).toBe(u.userId);
    expect(tok.body.access_token).toBeTruthy();
    // The page keeps the session token in memory only.
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie)).toBe("{}{}");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("with MFA on, the page asks for the code, and deny refuses the CLI", async () => {
    const u = await t.signup();
    const setup = await t.req("POST", "/v1/auth/mfa/setup", { token: u.token });
    const totp = (steps: number) =>
      OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(setup.body.secret), timestamp: Date.now() + steps * 30_000 });
    expect((await t.req("POST", "/v1/auth/mfa/verify-setup", { token: u.token, body: { code: totp(0) } })).status).toBe(200);
    const c = await deviceCode();
    const { page, problems } = await openPage(`${base}/cli/verify?code=${c.user_code}`);
    await page.fill("#email", u.email);
    await page.fill("#password", STRONG_PASSWORD);
    await page.click("#login-button");
    await page.waitForSelector("#mfa-form:not([hidden])");
    await page.fill("#mfa-code", totp(1));
    await page.click("#mfa-button");
    await page.waitForSelector("#decision:not([hidden])");
    await page.click("#deny-button");
    await page.waitForFunction(() => document.getElementById("message")?.textContent?.startsWith("Denied"));
    const tok = await t.req("POST", "/v1/auth/device/token", { body: { device_code: c.device_code, grant_type: GRANT } });
    expect(tok.body.error).toBe("access_denied");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows the server's error for a wrong password and an unknown code", async () => {
    const u = await t.signup();
    const { page } = await openPage(`${base}/cli/verify?code=ZZZZ-ZZZZ`);
    await page.fill("#email", u.email);
    await page.fill("#password", "Not-The-Password-1!");
    await page.click("#login-button");
    await page.waitForFunction(() => document.getElementById("message")?.textContent === "Invalid credentials");
    await page.fill("#password", STRONG_PASSWORD);
    await page.click("#login-button");
    await page.waitForFunction(() => document.getElementById("message")?.textContent === "Device code not found");
    expect(await page.isHidden("#decision")).toBe(true);
    await page.close();
  });
});
