import { type HttpClient, seg } from "../http.js";
import type { InviteMemberResponse, OrgMember, OrgMemberList, OrgRole } from "../types.js";

export class OrgResource {
  constructor(private readonly http: HttpClient) {}

  listMembers() {
    return this.http.request<OrgMemberList>("GET", "/v1/org/members");
  }
  invite(email: string, role?: OrgRole) {
    return this.http.request<InviteMemberResponse>("POST", "/v1/org/invite", { body: role ? { email, role } : { email } });
  }
  updateMemberRole(userId: string, role: OrgRole) {
    return this.http.request<OrgMember>("PATCH", `/v1/org/members/${seg(userId)}`, { body: { role } });
  }
  removeMember(userId: string) {
    return this.http.request<null>("DELETE", `/v1/org/members/${seg(userId)}`);
  }
}
