import { MAX_PATTERN_LENGTH } from "@oneclaw/contract";

/**
 * Path globs of policies and agent scopes (DESIGN decision 4): split on "/", `*` is exactly one
 * segment, `**` is any number of segments (also none), and a `*` inside a segment matches any run
 * of characters within that segment (`prod-*`). Everything else matches literally.
 */
export type PathMatcher = (segments: readonly string[]) => boolean;

const SEGMENT = /^[A-Za-z0-9_\-*]+$/;
const ANY_DEPTH = Symbol("**");
type Seg = typeof ANY_DEPTH | ((s: string) => boolean);

/** Why a pattern is malformed, or null when it is well-formed. */
export function globProblem(pattern: string): string | null {
  if (pattern.length === 0) return "must not be empty";
  if (pattern.length > MAX_PATTERN_LENGTH) return `must be at most ${MAX_PATTERN_LENGTH} characters`;
  const segs = pattern.split("/");
  for (const s of segs) {
    if (s === "") return "must not have empty segments or a leading or trailing '/'";
    if (!SEGMENT.test(s)) return "segments may contain only letters, digits, '_', '-' and '*'";
    if (s.includes("**") && s !== "**") return "'**' must be a whole segment";
  }
  return null;
}

/** Compiles a well-formed pattern (check `globProblem` first). */
export function compileGlob(pattern: string): PathMatcher {
  const segs: Seg[] = [];
  for (const s of pattern.split("/")) {
    if (s === "**") {
      if (segs[segs.length - 1] !== ANY_DEPTH) segs.push(ANY_DEPTH);
    } else if (s === "*") segs.push(() => true);
    else if (s.includes("*")) {
      const re = new RegExp(`^${s.split("*").map(escape).join(".*")}$`);
      segs.push((x) => re.test(x));
    } else segs.push((x) => x === s);
  }
  if (segs.length === 1 && segs[0] === ANY_DEPTH) return () => true;
  return (path) => matchSegments(segs, path);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Dynamic programming over (pattern index, path index): linear in their product, no backtracking blow-up. */
function matchSegments(pat: Seg[], path: readonly string[]): boolean {
  let reach = new Uint8Array(path.length + 1);
  reach[0] = 1;
  for (const seg of pat) {
    const next = new Uint8Array(path.length + 1);
    if (seg === ANY_DEPTH) {
      let on = 0;
      for (let i = 0; i <= path.length; i++) {
        on |= reach[i];
        next[i] = on;
      }
    } else {
      for (let i = 0; i < path.length; i++) if (reach[i] && seg(path[i])) next[i + 1] = 1;
    }
    reach = next;
  }
  return reach[path.length] === 1;
}
