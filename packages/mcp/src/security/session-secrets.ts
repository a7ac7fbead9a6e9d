/**
 * The secret values one MCP session has fetched (get_secret, get_env_bundle, http_request
 * placeholders), kept only in this process's memory for the session's lifetime so that any
 * later appearance can be scrubbed. Never shared between sessions, never persisted, never logged.
 */

export interface RedactionHit {
  path: string;
  /** Which encoding of the value was found: raw, base64, base64url, url, json, hex. */
  form: string;
}

interface Needle {
  text: string;
  path: string;
  form: string;
}

/** The encodings of a value a response is likely to echo it in. */
export function encodedForms(value: string): Array<{ form: string; text: string }> {
  const bytes = Buffer.from(value, "utf8");
  const forms = [
    { form: "raw", text: value },
    { form: "base64", text: bytes.toString("base64") },
    { form: "base64", text: bytes.toString("base64").replace(/=+$/, "") },
    { form: "base64url", text: bytes.toString("base64url") },
    { form: "url", text: encodeURIComponent(value) },
    { form: "url", text: encodeURIComponent(value).replace(/%20/g, "+") },
    { form: "json", text: JSON.stringify(value).slice(1, -1) },
    { form: "hex", text: bytes.toString("hex") },
  ];
  const seen = new Set<string>();
  return forms.filter((f) => f.text.length > 0 && !seen.has(f.text) && (seen.add(f.text), true));
}

export class SessionSecrets {
  private readonly byValue = new Map<string, string>();
  private needles: Needle[] = [];

  remember(path: string, value: string) {
    if (!value || this.byValue.get(value) === path) return;
    this.byValue.set(value, path);
    for (const f of encodedForms(value)) this.needles.push({ text: f.text, path, form: f.form });
    // Longest first, so a value that contains another is replaced whole.
    this.needles.sort((a, b) => b.text.length - a.text.length);
  }

  /** Length of the longest encoded value held (0 when none). */
  get longestNeedle() {
    return this.needles[0]?.text.length ?? 0;
  }

  get size() {
    return this.byValue.size;
  }

  /** Paths whose values (in any known encoding) occur in the text. */
  find(text: string): RedactionHit[] {
    const hits: RedactionHit[] = [];
    for (const n of this.needles) if (text.includes(n.text)) hits.push({ path: n.path, form: n.form });
    return hits;
  }

  /** Replaces every known value (in any known encoding) with `[REDACTED:<path>]`. */
  redact(text: string): { text: string; hits: RedactionHit[] } {
    const hits: RedactionHit[] = [];
    let out = text;
    for (const n of this.needles) {
      if (!out.includes(n.text)) continue;
      out = out.split(n.text).join(`[REDACTED:${n.path}]`);
      hits.push({ path: n.path, form: n.form });
    }
    return { text: out, hits };
  }

  /** The path of a secret whose exact value is this text, if any. */
  pathOf(value: string): string | undefined {
    return this.byValue.get(value);
  }
}
