import fs from "node:fs";
import path from "node:path";
import { openKeyProvider } from "../../app.js";
import { loadConfig, loadPkcs11Config } from "../../config.js";
import type { AppContext } from "../../context.js";
import { LocalKeyProvider } from "../../crypto/local-provider.js";
import { Pkcs11KeyProvider } from "../../crypto/pkcs11-provider.js";
import { SystemKeys } from "../../crypto/system-keys.js";
import { Bus } from "../../store/bus.js";
import { openStore } from "../../store/db.js";
import { migrate } from "../../store/migrate.js";
import { UnitOfWork } from "../../store/unit-of-work.js";
import { AuditService } from "../audit/service.js";
import { KeyJobs } from "./jobs.js";
import { KeyStore } from "./store.js";
import type { KeyProvider } from "../../crypto/key-provider.js";

const out = (line: string) => process.stdout.write(`${line}\n`);

/** The same database and audit chain the server uses, without the HTTP part. */
async function jobEnvironment(provider: (config: ReturnType<typeof loadConfig>) => Promise<KeyProvider>) {
  const config = loadConfig();
  const store = await openStore({ dialect: config.dialect, databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrate(store);
  const audit = new AuditService({ config, store, db: store.db } as AppContext);
  const uow = new UnitOfWork(store.db, (trx, events) => audit.writeBatch(trx, events), 0);
  const bus = store.pgPool ? await Bus.postgres(store.pgPool, config.databaseUrl) : undefined;
  const keyProvider = await provider(config);
  // Test hook: exit abruptly after N re-wrapped items, as a crash or kill would.
  const interruptAfter = Number(process.env.ONECLAW_KEYS_INTERRUPT_AFTER ?? 0);
  let items = 0;
  const jobs = (p: KeyProvider) =>
    new KeyJobs({
      db: store.db,
      uow,
      provider: p,
      bus,
      out,
      afterItem: interruptAfter > 0 ? () => void (++items >= interruptAfter && process.exit(75)) : undefined,
    });
  return {
    config,
    store,
    provider: keyProvider,
    jobs,
    async close() {
      await uow.close();
      await bus?.close();
      await keyProvider.close();
      await store.close();
    },
  };
}

async function guarded(fn: () => Promise<void>): Promise<number> {
  try {
    await fn();
    return 0;
  } catch (e) {
    process.stderr.write(`oneclaw: ${(e as Error).message}\n`);
    return 1;
  }
}

export const keyCommands = {
  "rotate-root-key": {
    summary: "Re-wrap every vault key and server key under a new HSM root key version (online, resumable)",
    run: (_args: string[]) =>
      guarded(async () => {
        const env = await jobEnvironment(openKeyProvider);
        try {
          await new SystemKeys(env.store.db, env.provider).checkRootKey();
          await env.jobs(env.provider).rotateRoot();
        } finally {
          await env.close();
        }
      }),
  },
  "rotate-vault-key": {
    summary: "Give a vault (or --all vaults) a new KEK; older DEKs are re-wrapped in batches (resumable)",
    run: (args: string[]) =>
      guarded(async () => {
        if (args.length !== 1) throw new Error("usage: rotate-vault-key <vault-id> | --all");
        const env = await jobEnvironment(openKeyProvider);
        try {
          await new SystemKeys(env.store.db, env.provider).checkRootKey();
          const ids = args[0] === "--all" ? (await new KeyStore(env.store.db).db.selectFrom("vaults").select("id").execute()).map((v) => v.id) : [args[0]!];
          for (const id of ids) await env.jobs(env.provider).rotateVault(id);
        } finally {
          await env.close();
        }
      }),
  },
  "migrate-keys": {
    summary: "Move the root of trust from the local master key into an HSM: migrate-keys --to pkcs11 (server stopped; resumable)",
    run: (args: string[]) =>
      guarded(async () => {
        if (args[0] !== "--to" || args[1] !== "pkcs11" || args.length !== 2) throw new Error("usage: migrate-keys --to pkcs11");
        const env = await jobEnvironment(async (config) => {
          const file = path.join(config.dataDir, "master.key");
          if (!config.masterKey && !fs.existsSync(file)) throw new Error(`no local master key to migrate from (neither ONECLAW_MASTER_KEY nor ${file})`);
          return LocalKeyProvider.open({ dataDir: config.dataDir, masterKey: config.masterKey });
        });
        let target: Pkcs11KeyProvider | undefined;
        try {
          target = await Pkcs11KeyProvider.open(loadPkcs11Config(process.env));
          const job = await env.jobs(env.provider).migrateToPkcs11(env.provider as LocalKeyProvider, target);
          await new SystemKeys(env.store.db, target).checkRootKey();
          out(`migrated ${job.processed} keys into token "${target.options.tokenLabel}" (root key "${target.options.keyLabel}").`);
          out(`Start the server with ONECLAW_KEY_PROVIDER=pkcs11. The local master key no longer protects this database;`);
          out(`keep it offline only as long as you need to read backups taken before the migration, then destroy it.`);
        } finally {
          await target?.close();
          await env.close();
        }
      }),
  },
};
