/** The device-login approval page (GET /cli/verify). No inline script or style: CSP stays 'self'. */
export const VERIFY_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Approve CLI login · oneclaw</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/cli/verify.css">
<script src="/cli/verify.js" defer></script>
</head>
<body>
<main>
  <h1>Approve a CLI login</h1>
  <p>A command line is asking to sign in to your oneclaw account. Only approve it if you started <code>1claw login</code> yourself and the code below matches the one in your terminal.</p>
  <label for="user-code">Code</label>
  <input id="user-code" name="user_code" autocomplete="off" spellcheck="false" maxlength="32">

  <form id="login-form">
    <h2>Sign in</h2>
    <label for="email">Email</label>
    <input id="email" name="email" type="email" autocomplete="username" required>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required>
    <button id="login-button" type="submit">Sign in</button>
  </form>

  <form id="mfa-form" hidden>
    <h2>Two-factor code</h2>
    <label for="mfa-code">Code from your authenticator app (or a recovery code)</label>
    <input id="mfa-code" name="code" autocomplete="one-time-code" required>
    <button id="mfa-button" type="submit">Verify</button>
  </form>

  <section id="decision" hidden>
    <h2>Sign in the CLI?</h2>
    <p>Client: <strong id="client-id"></strong></p>
    <p>Status: <strong id="code-status"></strong></p>
    <button id="approve-button" type="button">Approve</button>
    <button id="deny-button" type="button" class="secondary">Deny</button>
  </section>

  <p id="message" role="status"></p>
</main>
</body>
</html>
`;

export const VERIFY_CSS = `body{font-family:system-ui,sans-serif;background:#f5f5f7;color:#1d1d1f;margin:0}
main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.1)}
label{display:block;margin-top:.75rem;font-size:.9rem}
input{width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font-size:1rem}
#user-code{font-family:monospace;letter-spacing:.2em;text-transform:uppercase}
button{margin-top:1rem;padding:.5rem 1rem;font-size:1rem;border-radius:6px;border:0;background:#0a6cff;color:#fff;cursor:pointer}
button.secondary{background:#e5e5ea;color:#1d1d1f}
#message{margin-top:1rem;font-weight:600}
.error{color:#c00}
`;

export const VERIFY_JS = `"use strict";
(function () {
  var token = null;
  var $ = function (id) { return document.getElementById(id); };
  var codeInput = $("user-code");
  codeInput.value = new URLSearchParams(location.search).get("code") || "";

  function say(text, isError) {
    var m = $("message");
    m.textContent = text;
    m.className = isError ? "error" : "";
  }

  async function call(method, path, body, bearer) {
    var headers = { "content-type": "application/json" };
    if (bearer) headers.authorization = "Bearer " + bearer;
    var res = await fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit" });
    var data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return { status: res.status, data: data };
  }

  function userCode() { return codeInput.value.trim(); }

  async function showDecision() {
    $("login-form").hidden = true;
    $("mfa-form").hidden = true;
    if (!userCode()) { say("Enter the code shown in your terminal.", true); return; }
    var r = await call("GET", "/v1/auth/device/code/" + encodeURIComponent(userCode()));
    if (r.status !== 200) { say((r.data && r.data.detail) || "Unknown code.", true); $("decision").hidden = true; return; }
    $("client-id").textContent = r.data.client_id;
    $("code-status").textContent = r.data.status;
    $("decision").hidden = false;
    say(r.data.status === "pending" ? "" : "This code is " + r.data.status + ".", r.data.status !== "pending");
  }

  $("login-form").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    var r = await call("POST", "/v1/auth/token", { email: $("email").value, password: $("password").value });
    $("password").value = "";
    if (r.status !== 200) { say((r.data && r.data.detail) || "Sign-in failed.", true); return; }
    if (r.data.mfa_required) {
      token = null;
      $("mfa-form").dataset.mfaToken = r.data.mfa_token;
      $("login-form").hidden = true;
      $("mfa-form").hidden = false;
      say("");
      return;
    }
    token = r.data.access_token;
    await showDecision();
  });

  $("mfa-form").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    var form = $("mfa-form");
    var r = await call("POST", "/v1/auth/mfa/verify", { mfa_token: form.dataset.mfaToken, code: $("mfa-code").value });
    if (r.status !== 200) { say((r.data && r.data.detail) || "Wrong code.", true); return; }
    delete form.dataset.mfaToken;
    token = r.data.access_token;
    await showDecision();
  });

  async function decide(kind) {
    var r = await call("POST", "/v1/auth/device/" + kind, { user_code: userCode() }, token);
    if (r.status !== 200) { say((r.data && r.data.detail) || "Request failed.", true); return; }
    $("code-status").textContent = r.data.status;
    $("approve-button").disabled = true;
    $("deny-button").disabled = true;
    say(kind === "approve" ? "Approved. You can return to your terminal." : "Denied. The CLI will not be signed in.");
  }
  $("approve-button").addEventListener("click", function () { decide("approve"); });
  $("deny-button").addEventListener("click", function () { decide("deny"); });
})();
`;
