import { type HttpClient, seg } from "../http.js";
import type { Chain, ChainList } from "../types.js";

export class ChainsResource {
  constructor(private readonly http: HttpClient) {}

  list() {
    return this.http.request<ChainList>("GET", "/v1/chains", { auth: false });
  }
  /** By name (`base`) or numeric chain id (`8453`). */
  get(identifier: string | number) {
    return this.http.request<Chain>("GET", `/v1/chains/${seg(String(identifier))}`, { auth: false });
  }
}
