/**
 * Local content inspection: command injection, encoded payloads, social engineering, network
 * exfiltration, Unicode tricks, PII, and secrets fetched earlier in the session. Pure functions over
 * text — no network, no credentials.
 */
import type { SessionSecrets } from "./session-secrets.js";

export type Severity = "low" | "medium" | "high" | "critical";
export type Verdict = "clean" | "warning" | "suspicious" | "malicious";

export interface Threat {
  type: string;
  pattern: string;
  severity: Severity;
  match: string;
}

export interface Inspection {
  verdict: Verdict;
  safe: boolean;
  threat_count: number;
  threats: Threat[];
  unicode_normalized: boolean;
}

export interface InspectOptions {
  context: "input" | "output";
  secrets?: SessionSecrets;
  pii?: boolean;
  /** Hosts data must never be sent to; subdomains included. */
  blockedHosts?: string[];
}

/** Hosts commonly used to catch exfiltrated data; extended with ONECLAW_MCP_BLOCKED_HOSTS. */
export const DEFAULT_BLOCKED_HOSTS = [
  "pastebin.com",
  "paste.ee",
  "hastebin.com",
  "ghostbin.com",
  "webhook.site",
  "requestbin.com",
  "requestbin.net",
  "pipedream.net",
  "ngrok.io",
  "ngrok-free.app",
  "ngrok.app",
  "transfer.sh",
  "interact.sh",
  "oast.fun",
  "oast.pro",
  "burpcollaborator.net",
  "canarytokens.com",
  "beeceptor.com",
  "hookbin.com",
];

interface Rule {
  type: string;
  pattern: string;
  severity: Severity;
  re: RegExp;
  /** Extra check on a match (e.g. Luhn); the match counts only when it returns true. */
  accept?: (m: string) => boolean;
}

const SHELL_WORDS = "rm|curl|wget|nc|ncat|netcat|bash|sh|zsh|python[0-9.]*|perl|ruby|php|node|chmod|chown|mkfifo|dd|cat|base64|eval|exec|sudo|su|scp|ssh|powershell|cmd(?:\\.exe)?";

const COMMAND_RULES: Rule[] = [
  { type: "command_injection", pattern: "shell_chain", severity: "critical", re: new RegExp(`(?:;|&&|\\|\\|)\\s*(?:${SHELL_WORDS})\\b`, "gi") },
  { type: "command_injection", pattern: "pipe_to_shell", severity: "critical", re: /\|\s*(?:sudo\s+)?(?:ba|z|k|da)?sh\b/gi },
  { type: "command_injection", pattern: "command_substitution", severity: "high", re: new RegExp(`\\$\\(\\s*(?:${SHELL_WORDS}|whoami|id|uname|env|printenv)\\b[^)]{0,200}\\)|\`\\s*(?:${SHELL_WORDS}|whoami|id|uname|env|printenv)\\b[^\`\\n]{0,200}\``, "gi") },
  { type: "command_injection", pattern: "destructive_command", severity: "critical", re: /\brm\s+-[a-z]*(?:rf|fr)[a-z]*\b|\bmkfs(?:\.\w+)?\b|:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:/gi },
  { type: "command_injection", pattern: "reverse_shell", severity: "critical", re: /\/dev\/(?:tcp|udp)\/|\bn(?:c|cat)\s+(?:-\w+\s+)*-e\b|\bbash\s+-i\s+>&/gi },
  { type: "command_injection", pattern: "sensitive_file", severity: "high", re: /\/etc\/(?:passwd|shadow|sudoers)\b|~\/\.ssh\/|\bid_(?:rsa|ed25519|ecdsa)\b|\.aws\/credentials|\.env\b(?=\s|$|["'])/gi },
];

const ENCODING_RULES: Rule[] = [
  { type: "encoding_obfuscation", pattern: "base64_blob", severity: "medium", re: /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{60,}={0,2}(?![A-Za-z0-9+/])/g },
  { type: "encoding_obfuscation", pattern: "hex_escape", severity: "medium", re: /(?:\\x[0-9a-fA-F]{2}){4,}/g },
  { type: "encoding_obfuscation", pattern: "unicode_escape", severity: "medium", re: /(?:\\u[0-9a-fA-F]{4}){4,}/g },
  { type: "encoding_obfuscation", pattern: "url_encoding", severity: "medium", re: /(?:%[0-9a-fA-F]{2}){6,}/g },
];

const SOCIAL_RULES: Rule[] = [
  { type: "social_engineering", pattern: "ignore_instructions", severity: "critical", re: /\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:previous|prior|above|earlier|system)\s+(?:instructions?|prompts?|rules?|directives?)/gi },
  { type: "social_engineering", pattern: "role_override", severity: "high", re: /\byou are now (?:an?|the|in)\b|\b(?:developer|god|jailbreak|DAN) mode\b|\bact as (?:an? )?(?:admin|administrator|root|system)\b/gi },
  { type: "social_engineering", pattern: "secret_request", severity: "high", re: /\b(?:reveal|print|show|send|leak|output|dump|exfiltrate|post|upload)\s+(?:me\s+)?(?:the\s+|all\s+|your\s+|every\s+|of\s+)*(?:secrets?|api[ _-]?keys?|passwords?|credentials?|tokens?|system prompt|private keys?)\b/gi },
  { type: "social_engineering", pattern: "urgency", severity: "medium", re: /\b(?:urgent(?:ly)?|immediately|right now|asap)\b[^.\n]{0,80}\b(?:password|credential|secret|key|token)s?\b/gi },
];

const UNICODE_RULES: Rule[] = [
  { type: "unicode_manipulation", pattern: "zero_width", severity: "medium", re: /[\u200B-\u200D\u2060\uFEFF\u00AD]/g },
  { type: "unicode_manipulation", pattern: "bidi_override", severity: "medium", re: /[\u202A-\u202E\u2066-\u2069]/g },
  { type: "unicode_manipulation", pattern: "homoglyph", severity: "medium", re: /(?=[\p{L}]*\p{Script=Latin})(?=[\p{L}]*[\p{Script=Cyrillic}\p{Script=Greek}])[\p{L}]{2,}/gu },
];

const PII_RULES: Rule[] = [
  { type: "pii", pattern: "email", severity: "medium", re: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g },
  { type: "pii", pattern: "ssn", severity: "high", re: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g },
  { type: "pii", pattern: "credit_card", severity: "high", re: /\b\d(?:[ -]?\d){12,18}\b/g, accept: (m) => luhn(m.replace(/\D/g, "")) },
  { type: "pii", pattern: "phone", severity: "medium", re: /(?<![\w.])(?:\+\d{1,3}[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?![\w])/g },
  { type: "pii", pattern: "aws_access_key", severity: "critical", re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { type: "pii", pattern: "private_key", severity: "critical", re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/g },
  { type: "pii", pattern: "api_token", severity: "high", re: /\b(?:sk_live_|rk_live_|ghp_|gho_|github_pat_|xox[abpr]-|ocv_|1ck_|sk-ant-|sk-proj-)[A-Za-z0-9_\-]{16,}/g },
];

const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

function luhn(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

function runRules(text: string, rules: Rule[], out: Threat[]) {
  for (const rule of rules) {
    rule.re.lastIndex = 0;
    const seen = new Set<string>();
    for (const m of text.matchAll(rule.re)) {
      const match = m[0];
      if (rule.accept && !rule.accept(match)) continue;
      if (seen.has(match)) continue;
      seen.add(match);
      out.push({ type: rule.type, pattern: rule.pattern, severity: rule.severity, match: clip(match) });
    }
  }
}

/** Hosts of the URLs in the text (lower-cased). */
export function urlHosts(text: string): string[] {
  const hosts: string[] = [];
  for (const m of text.matchAll(/\b(?:https?|ftp|wss?):\/\/([^\s/"'<>?#]+)/gi)) {
    const authority = m[1].replace(/^[^@]*@/, "");
    hosts.push(authority.replace(/:\d+$/, "").replace(/^\[|\]$/g, "").toLowerCase());
  }
  return hosts;
}

export function hostIsBlocked(host: string, blocked: string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return blocked.some((b) => h === b || h.endsWith(`.${b}`));
}

function networkThreats(text: string, blocked: string[], out: Threat[]) {
  for (const host of new Set(urlHosts(text))) {
    if (hostIsBlocked(host, blocked)) out.push({ type: "network_threat", pattern: "data_exfil", severity: "critical", match: host });
    else if (/^(?:169\.254\.169\.254|metadata\.google\.internal|100\.100\.100\.200|fd00:ec2::254)$/.test(host))
      out.push({ type: "network_threat", pattern: "cloud_metadata", severity: "critical", match: host });
    else if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(host)) out.push({ type: "network_threat", pattern: "raw_ip_url", severity: "medium", match: host });
  }
  runRules(
    text,
    [
      {
        type: "network_threat",
        pattern: "data_upload",
        severity: "high",
        re: /\b(?:curl|wget|http|Invoke-WebRequest|iwr)\b[^\n]{0,200}?(?:\s-d\b|\s--data(?:-\w+)?\b|\s-F\b|\s--form\b|\s-T\b|\s--upload-file\b|\s--post-(?:data|file)\b|\s-Body\b)/gi,
      },
      { type: "network_threat", pattern: "dns_exfil", severity: "high", re: /\b(?:nslookup|dig|host)\s+\S*\$\(/gi },
    ],
    out,
  );
}

/** Decodes long base64 runs and looks for commands inside them. */
function encodedCommands(text: string, out: Threat[]) {
  for (const m of text.matchAll(/[A-Za-z0-9+/]{16,}={0,2}/g)) {
    const decoded = Buffer.from(m[0], "base64").toString("utf8");
    if (!/^[\x09\x0a\x0d\x20-\x7e]+$/.test(decoded)) continue;
    const inner: Threat[] = [];
    runRules(decoded, COMMAND_RULES, inner);
    if (inner.length) out.push({ type: "encoding_obfuscation", pattern: "encoded_command", severity: "high", match: clip(m[0]) });
  }
}

/** NFKC plus removal of zero-width and bidi control characters. */
export function normalizeUnicode(text: string): string {
  return text.normalize("NFKC").replace(/[\u200B-\u200D\u2060\uFEFF\u00AD\u202A-\u202E\u2066-\u2069]/g, "");
}

export function inspectContent(content: string, opts: InspectOptions): Inspection {
  const threats: Threat[] = [];
  const normalized = normalizeUnicode(content);
  runRules(content, UNICODE_RULES, threats);
  // The other detectors look at the normalized text, so full-width or zero-width tricks do not hide a pattern.
  runRules(normalized, COMMAND_RULES, threats);
  runRules(normalized, ENCODING_RULES, threats);
  encodedCommands(normalized, threats);
  runRules(normalized, SOCIAL_RULES, threats);
  networkThreats(normalized, opts.blockedHosts ?? DEFAULT_BLOCKED_HOSTS, threats);
  if (opts.pii !== false) runRules(normalized, PII_RULES, threats);
  if (opts.secrets) {
    const hits = new Map<string, string>();
    for (const text of [content, normalized]) for (const h of opts.secrets.find(text)) hits.set(h.path, h.form);
    for (const [path, form] of hits) {
      threats.push({
        type: opts.context === "input" ? "exfiltration" : "secret_exposure",
        pattern: form === "raw" ? "session_secret" : `session_secret_${form}`,
        severity: "critical",
        match: `[REDACTED:${path}]`,
      });
    }
  }
  // A match may itself contain a fetched value (e.g. inside a matched URL): never echo it.
  if (opts.secrets?.size) for (const t of threats) t.match = opts.secrets.redact(t.match).text;
  const top = threats.reduce((max, t) => Math.max(max, SEVERITY_RANK[t.severity]), 0);
  const verdict: Verdict = top >= 4 ? "malicious" : top === 3 ? "suspicious" : top > 0 ? "warning" : "clean";
  return { verdict, safe: top < 3, threat_count: threats.length, threats, unicode_normalized: normalized !== content };
}

export function worstSeverity(threats: Threat[]): Severity | undefined {
  let best: Severity | undefined;
  for (const t of threats) if (!best || SEVERITY_RANK[t.severity] > SEVERITY_RANK[best]) best = t.severity;
  return best;
}

export function atLeast(s: Severity | undefined, floor: Severity) {
  return s !== undefined && SEVERITY_RANK[s] >= SEVERITY_RANK[floor];
}
