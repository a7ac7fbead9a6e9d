import { type ClientOptions, HttpClient } from "./http.js";
import { AccessResource } from "./resources/access.js";
import { AgentsResource } from "./resources/agents.js";
import { ApiKeysResource } from "./resources/api-keys.js";
import { AuditResource } from "./resources/audit.js";
import { AuthResource } from "./resources/auth.js";
import { BillingResource } from "./resources/billing.js";
import { ChainsResource } from "./resources/chains.js";
import { OrgResource } from "./resources/org.js";
import { SecretsResource } from "./resources/secrets.js";
import { SharingResource } from "./resources/sharing.js";
import { VaultsResource } from "./resources/vaults.js";
import type { Health, HsmHealth } from "./types.js";

export class OneclawClient {
  readonly http: HttpClient;
  readonly auth: AuthResource;
  readonly vaults: VaultsResource;
  readonly secrets: SecretsResource;
  readonly agents: AgentsResource;
  readonly access: AccessResource;
  readonly sharing: SharingResource;
  readonly audit: AuditResource;
  readonly billing: BillingResource;
  readonly apiKeys: ApiKeysResource;
  readonly chains: ChainsResource;
  readonly org: OrgResource;

  constructor(options: ClientOptions) {
    this.http = new HttpClient(options);
    this.auth = new AuthResource(this.http);
    this.vaults = new VaultsResource(this.http);
    this.secrets = new SecretsResource(this.http);
    this.agents = new AgentsResource(this.http);
    this.access = new AccessResource(this.http);
    this.sharing = new SharingResource(this.http);
    this.audit = new AuditResource(this.http);
    this.billing = new BillingResource(this.http);
    this.apiKeys = new ApiKeysResource(this.http);
    this.chains = new ChainsResource(this.http);
    this.org = new OrgResource(this.http);
  }

  /** Agent id given in the options or learnt from the agent-token exchange. */
  get agentId(): string | undefined {
    return this.http.agentId;
  }
  /** Vault ids the agent is bound to (from the agent-token exchange). */
  get vaultIds(): string[] | undefined {
    return this.http.vaultIds;
  }
  /** A valid bearer token, exchanging the API key first if needed; undefined when there are no credentials. */
  async getToken(): Promise<string | undefined> {
    const b = await this.http.bearer();
    if (b.failure) throw b.failure.error;
    return b.token;
  }
  health() {
    return this.http.request<Health>("GET", "/v1/health", { auth: false });
  }
  hsmHealth() {
    return this.http.request<HsmHealth>("GET", "/v1/health/hsm", { auth: false });
  }
}

/** Creates a client. See ClientOptions for how credentials are used. */
export function createClient(options: ClientOptions): OneclawClient {
  return new OneclawClient(options);
}
