import { describe, expect, it } from "vitest";
import { loggableUrl } from "../../src/app.js";

describe("loggableUrl", () => {
  it("masks link-share ids, device user codes and query values", () => {
    const share = "9b2f7c1e-0000-4000-8000-1234567890ab";
    expect(loggableUrl(`/v1/share/${share}`)).toBe("/v1/share/[id]");
    expect(loggableUrl(`/v1/shares/${share}/accept`)).toBe("/v1/shares/[id]/accept");
    expect(loggableUrl("/v1/auth/device/code/BCDFGHJK")).toBe("/v1/auth/device/code/[code]");
    expect(loggableUrl("/cli/verify?code=BCDFGHJK&x=1")).toBe("/cli/verify?code=…&x=…");
    expect(loggableUrl("/v1/vaults/abc/secrets/db/password")).toBe("/v1/vaults/abc/secrets/db/password");
  });
});
