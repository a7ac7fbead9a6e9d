import { type HttpClient, seg } from "../http.js";
import type { CreateShareRequest, Share, SharedSecret, ShareList } from "../types.js";

export class SharingResource {
  constructor(private readonly http: HttpClient) {}

  /** Shares a secret (by its id) with a user, agent, the agent's creator, an email, or anyone with the link. */
  create(secretId: string, body: CreateShareRequest) {
    return this.http.request<Share>("POST", `/v1/secrets/${seg(secretId)}/share`, { body });
  }
  /**
   * Opens a share. Link shares need no credentials (a passphrase goes in X-Share-Passphrase);
   * targeted shares use the client's bearer.
   */
  access(shareId: string, options: { passphrase?: string } = {}) {
    return this.http.request<SharedSecret>("GET", `/v1/share/${seg(shareId)}`, {
      headers: options.passphrase !== undefined ? { "x-share-passphrase": options.passphrase } : undefined,
    });
  }
  listOutbound() {
    return this.http.request<ShareList>("GET", "/v1/shares/outbound");
  }
  listInbound() {
    return this.http.request<ShareList>("GET", "/v1/shares/inbound");
  }
  accept(shareId: string) {
    return this.http.request<null>("POST", `/v1/shares/${seg(shareId)}/accept`);
  }
  decline(shareId: string) {
    return this.http.request<null>("POST", `/v1/shares/${seg(shareId)}/decline`);
  }
  revoke(shareId: string) {
    return this.http.request<null>("DELETE", `/v1/share/${seg(shareId)}`);
  }
}
