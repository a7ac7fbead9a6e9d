import type { HttpClient } from "../http.js";
import type { AuditEventList, AuditQuery, AuditVerify } from "../types.js";

export class AuditResource {
  constructor(private readonly http: HttpClient) {}

  query(params: AuditQuery = {}) {
    return this.http.request<AuditEventList>("GET", "/v1/audit/events", { query: { ...params } });
  }
  /** Checks the org's audit hash chain (oneclaw). */
  verify() {
    return this.http.request<AuditVerify>("GET", "/v1/audit/verify");
  }
}
