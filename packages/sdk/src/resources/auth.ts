import { type HttpClient, type OneclawResponse, seg } from "../http.js";
import {
  type AgentTokenRequest,
  type ChangePasswordRequest,
  DEVICE_CODE_GRANT_TYPE,
  type DeviceCode,
  type DeviceToken,
  type JwtPublicKey,
  type LoginRequest,
  type LoginResponse,
  type MfaDisableRequest,
  type MfaSetup,
  type MfaStatus,
  type MfaVerifySetup,
  type SignupRequest,
  type SignupResponse,
  type TokenResponse,
  type UpdateProfileRequest,
  type UserProfile,
} from "../types.js";

/**
 * Sign-in and account endpoints. Methods that obtain a token (login without MFA, mfaVerify,
 * signup with auto-login, agentToken, apiKeyToken, verifyEmail, google) also make the client use it.
 */
export class AuthResource {
  constructor(private readonly http: HttpClient) {}

  private adopt<T extends { access_token?: string; expires_in?: number; mfa_required?: boolean }>(res: OneclawResponse<T>) {
    if (res.data?.access_token && !res.data.mfa_required) this.http.setToken(res.data.access_token, res.data.expires_in);
    return res;
  }

  /** Email + password. With MFA on, `data.mfa_required` is true: call `mfaVerify(data.mfa_token, code)`. */
  async login(body: LoginRequest) {
    return this.adopt(await this.http.request<LoginResponse>("POST", "/v1/auth/token", { auth: false, body }));
  }
  async mfaVerify(mfaToken: string, code: string) {
    return this.adopt(await this.http.request<TokenResponse>("POST", "/v1/auth/mfa/verify", { auth: false, body: { mfa_token: mfaToken, code } }));
  }
  async signup(body: SignupRequest) {
    return this.adopt(await this.http.request<SignupResponse>("POST", "/v1/auth/signup", { auth: false, body }));
  }
  async verifyEmail(token: string) {
    return this.adopt(await this.http.request<TokenResponse>("POST", "/v1/auth/verify-email", { auth: false, body: { token } }));
  }
  async google(idToken: string) {
    return this.adopt(await this.http.request<LoginResponse>("POST", "/v1/auth/google", { auth: false, body: { id_token: idToken } }));
  }
  /** Exchanges an agent key (`ocv_…`) for a JWT; `agent_id` is optional. */
  async agentToken(body: AgentTokenRequest) {
    const res = await this.http.request<TokenResponse>("POST", "/v1/auth/agent-token", { auth: false, body });
    if (res.data) {
      if (res.data.agent_id) this.http.agentId = res.data.agent_id;
      if (res.data.vault_ids) this.http.vaultIds = res.data.vault_ids;
    }
    return this.adopt(res);
  }
  /** Exchanges a personal key (`1ck_…`) for a JWT. */
  async apiKeyToken(apiKey: string) {
    return this.adopt(await this.http.request<TokenResponse>("POST", "/v1/auth/api-key-token", { auth: false, body: { api_key: apiKey } }));
  }
  /** Revokes the current bearer token server-side and forgets it. */
  async logout() {
    const res = await this.http.request<null>("DELETE", "/v1/auth/token");
    if (!res.error) this.http.clearToken();
    return res;
  }
  me() {
    return this.http.request<UserProfile>("GET", "/v1/auth/me");
  }
  updateMe(body: UpdateProfileRequest) {
    return this.http.request<UserProfile>("PATCH", "/v1/auth/me", { body });
  }
  changePassword(body: ChangePasswordRequest) {
    return this.http.request<null | { message?: string }>("POST", "/v1/auth/change-password", { body });
  }
  jwtPublicKey() {
    return this.http.request<JwtPublicKey>("GET", "/v1/auth/jwt-public-key", { auth: false });
  }

  mfaStatus() {
    return this.http.request<MfaStatus>("GET", "/v1/auth/mfa/status");
  }
  mfaSetup() {
    return this.http.request<MfaSetup>("POST", "/v1/auth/mfa/setup");
  }
  mfaVerifySetup(code: string) {
    return this.http.request<MfaVerifySetup>("POST", "/v1/auth/mfa/verify-setup", { body: { code } });
  }
  mfaDisable(body: MfaDisableRequest) {
    return this.http.request<null>("DELETE", "/v1/auth/mfa", { body });
  }

  /** RFC 8628 step 1: a device code and the user code to approve in a browser. */
  deviceCode(clientId = "1claw-cli") {
    return this.http.request<DeviceCode>("POST", "/v1/auth/device/code", { auth: false, body: { client_id: clientId } });
  }
  /** RFC 8628 polling; while pending the 200 body carries `error`. A token, once issued, is adopted. */
  async deviceToken(deviceCode: string) {
    return this.adopt(
      await this.http.request<DeviceToken>("POST", "/v1/auth/device/token", {
        auth: false,
        body: { device_code: deviceCode, grant_type: DEVICE_CODE_GRANT_TYPE },
      }),
    );
  }
  deviceStatus(userCode: string) {
    return this.http.request<{ status?: string; [k: string]: unknown }>("GET", `/v1/auth/device/code/${seg(userCode)}`, { auth: false });
  }
  deviceApprove(userCode: string) {
    return this.http.request<unknown>("POST", "/v1/auth/device/approve", { body: { user_code: userCode } });
  }
  deviceDeny(userCode: string) {
    return this.http.request<unknown>("POST", "/v1/auth/device/deny", { body: { user_code: userCode } });
  }
}
