import { type HttpClient, seg } from "../http.js";
import type { AcceptInviteResponse, InviteMemberResponse, OrgMember, OrgMemberList, OrgRole } from "../types.js";

export class OrgResource {
  constructor(private readonly http: HttpClient) {}

  listMembers() {
    return this.http.request<OrgMemberList>("GET", "/v1/org/members");
  }
  invite(email: string, role?: OrgRole) {
    return this.http.request<InviteMemberResponse>("POST", "/v1/org/invite", { body: role ? { email, role } : { email } });
  }
  /**
   * Joins the inviting org with the token from the invitation mail (oneclaw). The answer carries a
   * token for the new org, which the client adopts (tokens for the old org stop working).
   */
  async acceptInvite(token: string) {
    const res = await this.http.request<AcceptInviteResponse>("POST", "/v1/org/invites/accept", { body: { token } });
    if (res.data?.access_token) this.http.setToken(res.data.access_token);
    return res;
  }
  updateMemberRole(userId: string, role: OrgRole) {
    return this.http.request<OrgMember>("PATCH", `/v1/org/members/${seg(userId)}`, { body: { role } });
  }
  removeMember(userId: string) {
    return this.http.request<null>("DELETE", `/v1/org/members/${seg(userId)}`);
  }
}
