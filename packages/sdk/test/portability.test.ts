import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function jsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? jsFiles(p) : p.endsWith(".js") ? [p] : [];
  });
}

it("has zero runtime dependencies", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(PKG, "package.json"), "utf8"));
  expect(pkg.dependencies ?? {}).toEqual({});
  expect(pkg.peerDependencies ?? {}).toEqual({});
});

it("built code loads nothing but its own files and uses no Node-only globals (runs in browsers)", () => {
  const files = jsFiles(path.join(PKG, "dist"));
  expect(files.length).toBeGreaterThan(5);
  for (const f of files) {
    const code = fs.readFileSync(f, "utf8");
    const imports = [...code.matchAll(/\b(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]);
    for (const spec of imports) expect(spec, `${f} imports ${spec}`).toMatch(/^\.\.?\//);
    expect(code, f).not.toMatch(/\brequire\(|\bprocess\.|\bBuffer\b|__dirname/);
  }
});
