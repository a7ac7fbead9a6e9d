import type { AppContext } from "../../context.js";
import { forbidden } from "../../pipeline/errors.js";
import type { Principal } from "../../pipeline/principal.js";
import type { VaultRow } from "../vaults/store.js";

export type Permission = "read" | "write" | "delete";

/**
 * The access decision for vault contents (DESIGN decisions 1, 4, 5). Owners — the vault's
 * creator and the org's owners and admins — have full access; everyone else needs a policy.
 */
export class PolicyService {
  constructor(private readonly ctx: AppContext) {}

  /** Full access without a policy: creator, or an org owner/admin. */
  isVaultOwner(p: Principal, vault: VaultRow): boolean {
    if (vault.created_by_type === p.type && vault.created_by === p.id) return true;
    return p.type === "user" && (p.role === "owner" || p.role === "admin");
  }

  /** Throws 403 unless the principal may perform `perm` on `path` in the vault. */
  async authorize(p: Principal, vault: VaultRow, path: string, perm: Permission, _ip: string): Promise<void> {
    if (this.isVaultOwner(p, vault)) return;
    throw forbidden();
  }

  /** For listings: a predicate telling which paths the principal may read. */
  async readablePaths(p: Principal, vault: VaultRow, _ip: string): Promise<(path: string) => boolean> {
    if (this.isVaultOwner(p, vault)) return () => true;
    return () => false;
  }

  /** Whether the principal may see the vault at all (list and get). */
  async canSeeVault(p: Principal, vault: VaultRow): Promise<boolean> {
    return this.isVaultOwner(p, vault);
  }
}
