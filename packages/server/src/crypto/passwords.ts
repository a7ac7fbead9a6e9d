import { hash, verify } from "@node-rs/argon2";

const OPTIONS = { algorithm: 2 /* Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export const hashPassword = (password: string) => hash(password, OPTIONS);

export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (!stored) return false;
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** A hash of a random password, so unknown emails cost the same time as wrong passwords. */
let dummy: Promise<string> | undefined;
export const dummyPasswordHash = () => (dummy ??= hashPassword("dummy-password-for-timing-Aa1!"));

/** Password rules (behaviour notes §3.1). Returns the first broken rule, or null. */
export function passwordProblem(pw: string): string | null {
  if (pw.length < 12) return "must be at least 12 characters";
  if (!/[A-Z]/.test(pw)) return "must contain an uppercase letter";
  if (!/[a-z]/.test(pw)) return "must contain a lowercase letter";
  if (!/[0-9]/.test(pw)) return "must contain a digit";
  if (!/[^A-Za-z0-9]/.test(pw)) return "must contain a special character";
  if (/(.)\1\1/.test(pw)) return "must not repeat a character 3 or more times in a row";
  for (let i = 0; i + 2 < pw.length; i++) {
    const a = pw.charCodeAt(i), b = pw.charCodeAt(i + 1), c = pw.charCodeAt(i + 2);
    if ((b === a + 1 && c === b + 1) || (b === a - 1 && c === b - 1)) {
      return "must not contain 3 or more sequential characters (abc, 123)";
    }
  }
  return null;
}
