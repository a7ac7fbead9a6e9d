import crypto from "node:crypto";
import type { MigrationFactory } from "./types.js";
import { types } from "./types.js";

/** Default chain registry: the seed product docs' set plus the Intents guide's list (behaviour notes §8.8). */
const SEED_CHAINS: Array<[name: string, display: string, chainId: number, currency: string, testnet: boolean, explorer: string | null]> = [
  ["ethereum", "Ethereum", 1, "ETH", false, "https://etherscan.io"],
  ["optimism", "OP Mainnet", 10, "ETH", false, "https://optimistic.etherscan.io"],
  ["cronos", "Cronos", 25, "CRO", false, "https://cronoscan.com"],
  ["bnb", "BNB Smart Chain", 56, "BNB", false, "https://bscscan.com"],
  ["gnosis", "Gnosis", 100, "xDAI", false, "https://gnosisscan.io"],
  ["polygon", "Polygon", 137, "POL", false, "https://polygonscan.com"],
  ["sonic", "Sonic", 146, "S", false, null],
  ["fantom", "Fantom", 250, "FTM", false, null],
  ["zksync", "zkSync Era", 324, "ETH", false, null],
  ["worldchain", "World Chain", 480, "ETH", false, null],
  ["metis", "Metis", 1088, "METIS", false, null],
  ["polygon-zkevm", "Polygon zkEVM", 1101, "ETH", false, null],
  ["moonbeam", "Moonbeam", 1284, "GLMR", false, null],
  ["sei", "Sei", 1329, "SEI", false, null],
  ["mantle", "Mantle", 5000, "MNT", false, null],
  ["kaia", "Kaia", 8217, "KAIA", false, null],
  ["base", "Base", 8453, "ETH", false, "https://basescan.org"],
  ["mode", "Mode", 34443, "ETH", false, null],
  ["arbitrum-one", "Arbitrum One", 42161, "ETH", false, "https://arbiscan.io"],
  ["arbitrum-nova", "Arbitrum Nova", 42170, "ETH", false, null],
  ["celo", "Celo", 42220, "CELO", false, null],
  ["avalanche", "Avalanche C-Chain", 43114, "AVAX", false, "https://snowtrace.io"],
  ["linea", "Linea", 59144, "ETH", false, null],
  ["berachain", "Berachain", 80094, "BERA", false, null],
  ["blast", "Blast", 81457, "ETH", false, null],
  ["taiko", "Taiko", 167000, "ETH", false, null],
  ["scroll", "Scroll", 534352, "ETH", false, null],
  ["zora", "Zora", 7777777, "ETH", false, null],
  ["sepolia", "Sepolia", 11155111, "ETH", true, "https://sepolia.etherscan.io"],
  ["base-sepolia", "Base Sepolia", 84532, "ETH", true, "https://sepolia.basescan.org"],
];

/** Personal API keys, MFA, device login, billing/usage, platform settings and the chain registry. */
export const accountsBillingAdmin: MigrationFactory = (dialect) => ({
  async up(db) {
    const t = types(dialect);
    await db.schema
      .createTable("user_api_keys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("org_id", "text", (c) => c.notNull())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("key_prefix", "text", (c) => c.notNull())
      .addColumn("key_hash", "text", (c) => c.notNull().unique())
      .addColumn("scopes", "text", (c) => c.notNull())
      .addColumn("is_active", "integer", (c) => c.notNull().defaultTo(1))
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("expires_at", "text")
      .addColumn("last_used_at", "text")
      .execute();
    await db.schema.createIndex("user_api_keys_user_idx").on("user_api_keys").column("user_id").execute();

    await db.schema
      .createTable("user_mfa")
      .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
      .addColumn("secret_sealed", t.bytes)
      .addColumn("pending_secret_sealed", t.bytes)
      .addColumn("recovery_codes", "text", (c) => c.notNull().defaultTo("[]"))
      .addColumn("last_step", t.bigint, (c) => c.notNull().defaultTo(0))
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("device_codes")
      .addColumn("device_code_hash", "text", (c) => c.primaryKey())
      .addColumn("user_code", "text", (c) => c.notNull().unique())
      .addColumn("client_id", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.references("users.id").onDelete("cascade"))
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addColumn("last_poll_at", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("org_billing")
      .addColumn("org_id", "text", (c) => c.primaryKey())
      .addColumn("free_tier_override", "integer")
      .addColumn("is_sponsored", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("overage_method", "text", (c) => c.notNull().defaultTo("credits"))
      .addColumn("billing_interval", "text")
      .addColumn("period_end", "text")
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("usage_monthly")
      .addColumn("org_id", "text", (c) => c.notNull())
      .addColumn("month", "text", (c) => c.notNull())
      .addColumn("requests", t.bigint, (c) => c.notNull().defaultTo(0))
      .addColumn("paid_requests", t.bigint, (c) => c.notNull().defaultTo(0))
      .addColumn("cost_micro_usd", t.bigint, (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint("usage_monthly_pk", ["org_id", "month"])
      .execute();
    await db.schema
      .createTable("usage_events")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("org_id", "text", (c) => c.notNull())
      .addColumn("principal_type", "text", (c) => c.notNull())
      .addColumn("principal_id", "text", (c) => c.notNull())
      .addColumn("method", "text", (c) => c.notNull())
      .addColumn("endpoint", "text", (c) => c.notNull())
      .addColumn("status_code", "integer", (c) => c.notNull())
      .addColumn("price_micro_usd", t.bigint, (c) => c.notNull())
      .addColumn("is_paid", "integer", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("usage_events_org_created_idx").on("usage_events").columns(["org_id", "created_at"]).execute();
    await db.schema
      .createTable("credit_transactions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("org_id", "text", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("amount_cents", t.bigint, (c) => c.notNull())
      .addColumn("balance_after_cents", t.bigint, (c) => c.notNull())
      .addColumn("description", "text")
      .addColumn("expires_at", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("credit_transactions_org_idx").on("credit_transactions").columns(["org_id", "created_at"]).execute();

    await db.schema
      .createTable("platform_settings")
      .addColumn("key", "text", (c) => c.primaryKey())
      .addColumn("value", "text", (c) => c.notNull())
      .addColumn("updated_by", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("x402_config")
      .addColumn("id", "integer", (c) => c.primaryKey())
      .addColumn("config", "text", (c) => c.notNull())
      .addColumn("updated_by", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("chains")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull().unique())
      .addColumn("display_name", "text", (c) => c.notNull())
      .addColumn("chain_id", t.bigint, (c) => c.notNull().unique())
      .addColumn("rpc_url", "text")
      .addColumn("ws_url", "text")
      .addColumn("explorer_url", "text")
      .addColumn("native_currency", "text", (c) => c.notNull())
      .addColumn("is_testnet", "integer", (c) => c.notNull())
      .addColumn("is_enabled", "integer", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();
    const now = new Date().toISOString();
    await db
      .insertInto("chains")
      .values(
        SEED_CHAINS.map(([name, display_name, chain_id, native_currency, testnet, explorer_url]) => ({
          id: crypto.randomUUID(),
          name,
          display_name,
          chain_id,
          rpc_url: null,
          ws_url: null,
          explorer_url,
          native_currency,
          is_testnet: testnet ? 1 : 0,
          is_enabled: 1,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
  },
});
