import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "./config.js";
import type { ApiKeyHasher } from "./crypto/api-keys.js";
import type { Keyring } from "./crypto/keyring.js";
import type { SystemKeys } from "./crypto/system-keys.js";
import type { TokenService } from "./crypto/tokens.js";
import type { Mailer } from "./mail.js";
import type { Authenticator } from "./pipeline/authenticate.js";
import type { Bus } from "./store/bus.js";
import type { Db, Store } from "./store/db.js";
import type { UnitOfWork } from "./store/unit-of-work.js";

/** Shared infrastructure every module's service is built from. */
export interface AppContext {
  config: Config;
  store: Store;
  db: Db;
  keyring: Keyring;
  systemKeys: SystemKeys;
  tokens: TokenService;
  apiKeys: ApiKeyHasher;
  uow: UnitOfWork;
  bus: Bus;
  authenticator: Authenticator;
  mailer: Mailer;
  log: FastifyBaseLogger;
  /** Request pipeline stages modules plug into (rate limits, IP rules, usage, maintenance mode). */
  hooks: PipelineHooks;
}

export type RequestHook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface PipelineHooks {
  /** Before authentication, on every matched route (rate limits). */
  beforeAuth: RequestHook[];
  /** After authentication, on authenticated requests (IP rules, maintenance mode, quota). */
  afterAuth: RequestHook[];
  /** After the response is sent (usage metering); must not throw. */
  onResponse: RequestHook[];
}
