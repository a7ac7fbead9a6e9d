import { type ClientOptions, HttpClient, seg } from "../http.js";
import type {
  Agent,
  AgentCreated,
  AgentKeyRotated,
  AgentList,
  AgentSelf,
  BundleSimulation,
  CreateAgentRequest,
  EnrollAgentRequest,
  EnrollAgentResponse,
  Simulation,
  SimulateTransactionRequest,
  Transaction,
  TransactionList,
  TransactionRequest,
  UpdateAgentRequest,
} from "../types.js";

function randomKey(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export class AgentsResource {
  constructor(private readonly http: HttpClient) {}

  /**
   * Self-enrollment (public, no credentials): the server creates the agent and mails its key to
   * the human. The response never contains the key.
   */
  static enroll(baseUrl: string, body: EnrollAgentRequest, options: Omit<ClientOptions, "baseUrl"> = {}) {
    return new HttpClient({ ...options, baseUrl }).request<EnrollAgentResponse>("POST", "/v1/agents/enroll", { auth: false, body });
  }

  create(body: CreateAgentRequest) {
    return this.http.request<AgentCreated>("POST", "/v1/agents", { body });
  }
  get(agentId: string) {
    return this.http.request<Agent>("GET", `/v1/agents/${seg(agentId)}`);
  }
  list() {
    return this.http.request<AgentList>("GET", "/v1/agents");
  }
  /** The calling agent's own profile (agent tokens only). */
  me() {
    return this.http.request<AgentSelf>("GET", "/v1/agents/me");
  }
  update(agentId: string, body: UpdateAgentRequest) {
    return this.http.request<Agent>("PATCH", `/v1/agents/${seg(agentId)}`, { body });
  }
  delete(agentId: string) {
    return this.http.request<null>("DELETE", `/v1/agents/${seg(agentId)}`);
  }
  /** New `ocv_` key; the old one stops working at once. */
  rotateKey(agentId: string) {
    return this.http.request<AgentKeyRotated>("POST", `/v1/agents/${seg(agentId)}/rotate-key`);
  }
  rotateIdentityKeys(agentId: string) {
    return this.http.request<Agent>("POST", `/v1/agents/${seg(agentId)}/rotate-identity-keys`);
  }
  /** Signs (and maybe broadcasts) a transaction. An Idempotency-Key is generated unless given. */
  submitTransaction(agentId: string, body: TransactionRequest, options: { idempotencyKey?: string } = {}) {
    return this.http.request<Transaction>("POST", `/v1/agents/${seg(agentId)}/transactions`, {
      body,
      headers: { "idempotency-key": options.idempotencyKey ?? randomKey() },
    });
  }
  simulateTransaction(agentId: string, body: SimulateTransactionRequest) {
    return this.http.request<Simulation>("POST", `/v1/agents/${seg(agentId)}/transactions/simulate`, { body });
  }
  simulateBundle(agentId: string, bundle: { transactions: SimulateTransactionRequest[] } | SimulateTransactionRequest[]) {
    const body = Array.isArray(bundle) ? { transactions: bundle } : bundle;
    return this.http.request<BundleSimulation>("POST", `/v1/agents/${seg(agentId)}/transactions/simulate-bundle`, { body });
  }
  getTransaction(agentId: string, txId: string, options: { includeSignedTx?: boolean } = {}) {
    return this.http.request<Transaction>("GET", `/v1/agents/${seg(agentId)}/transactions/${seg(txId)}`, {
      query: { include_signed_tx: options.includeSignedTx ? "true" : undefined },
    });
  }
  listTransactions(agentId: string, options: { includeSignedTx?: boolean } = {}) {
    return this.http.request<TransactionList>("GET", `/v1/agents/${seg(agentId)}/transactions`, {
      query: { include_signed_tx: options.includeSignedTx ? "true" : undefined },
    });
  }
}
