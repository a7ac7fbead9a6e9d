import crypto from "node:crypto";
import { createRequire } from "node:module";
import type * as Pkcs11Types from "pkcs11js";
import { ConfigError } from "../config.js";
import type { KeyProvider, RootKeyRotation, VaultKey } from "./key-provider.js";
import { KeyIntegrityError, RootKeyRetiredError } from "./key-provider.js";

const require = createRequire(import.meta.url);
type Pkcs11Module = typeof Pkcs11Types;
type Handle = Buffer;

export interface Pkcs11Options {
  module: string;
  tokenLabel: string;
  pin: string;
  keyLabel: string;
}

/**
 * Blob layout (everything this provider returns): one format byte, the root key version
 * (uint32 BE), then the body. `K`: AES key wrap (RFC 3394) of a vault KEK done inside the
 * token. `D`: AES-256-GCM (12-byte IV ‖ ciphertext ‖ tag) of other key material, computed
 * inside the token with the caller's AAD.
 */
const FORMAT_KEK = 0x4b;
const FORMAT_DATA = 0x44;
const HEADER = 5;

/** Return values that mean the session, login or library state is gone and a reconnect may help. */
const SESSION_LOST = new Set([
  0x30, // CKR_DEVICE_ERROR
  0x32, // CKR_DEVICE_REMOVED
  0xb0, // CKR_SESSION_CLOSED
  0xb3, // CKR_SESSION_HANDLE_INVALID
  0xe0, // CKR_TOKEN_NOT_PRESENT
  0x101, // CKR_USER_NOT_LOGGED_IN
  0x190, // CKR_CRYPTOKI_NOT_INITIALIZED
  0x82, // CKR_OBJECT_HANDLE_INVALID (session objects vanish with their session)
  0x60, // CKR_KEY_HANDLE_INVALID
]);
/** Return values a failed integrity check produces (SoftHSM2 reports a bad GCM tag as GENERAL_ERROR). */
const INTEGRITY = new Set([0x05, 0x40, 0x41, 0x110, 0x111, 0x112, 0x20, 0x21]);

const codeOf = (e: unknown): number | undefined => {
  const c = (e as { code?: unknown })?.code;
  return typeof c === "number" ? c : undefined;
};

/**
 * One loaded library per module path per process: C_Initialize/C_Finalize are process-wide
 * in PKCS#11, so several providers (tests run several apps) share it and count references.
 */
class SharedLibrary {
  private static readonly loaded = new Map<string, SharedLibrary>();
  refs = 0;
  private constructor(
    readonly lib: Pkcs11Module,
    readonly p11: Pkcs11Types.PKCS11,
    readonly path: string,
  ) {}

  static acquire(path: string): SharedLibrary {
    let shared = SharedLibrary.loaded.get(path);
    if (!shared) {
      let lib: Pkcs11Module;
      try {
        lib = require("pkcs11js") as Pkcs11Module;
      } catch (e) {
        throw new ConfigError("ONECLAW_KEY_PROVIDER", `pkcs11 needs the pkcs11js package, which did not load: ${(e as Error).message}`);
      }
      const p11 = new lib.PKCS11();
      try {
        p11.load(path);
      } catch (e) {
        throw new ConfigError("ONECLAW_PKCS11_MODULE", `cannot load PKCS#11 module ${path}: ${(e as Error).message}`);
      }
      shared = new SharedLibrary(lib, p11, path);
      SharedLibrary.loaded.set(path, shared);
    }
    shared.initialize();
    shared.refs++;
    return shared;
  }

  initialize() {
    try {
      this.p11.C_Initialize();
    } catch (e) {
      if (codeOf(e) !== 0x191 /* CKR_CRYPTOKI_ALREADY_INITIALIZED */) throw e;
    }
  }

  release() {
    if (--this.refs > 0) return;
    try {
      this.p11.C_Finalize();
    } catch {
      /* already finalized */
    }
  }
}

class HsmVaultKey implements VaultKey {
  private handle: Handle | undefined;
  private generation = -1;

  constructor(
    private readonly hsm: Pkcs11KeyProvider,
    private readonly wrappedKek: Buffer,
  ) {}

  /** The KEK as a non-extractable session object; re-unwrapped after a reconnect. */
  private key(): Handle {
    if (!this.handle || this.generation !== this.hsm.generation) {
      this.handle = this.hsm.unwrapKekToSession(this.wrappedKek, false);
      this.generation = this.hsm.generation;
    }
    return this.handle;
  }

  open() {
    this.key();
  }

  wrapDek(dek: Buffer, aad: Buffer): Buffer {
    return this.hsm.withSession(() => this.hsm.gcmEncrypt(this.key(), dek, aad));
  }

  unwrapDek(wrapped: Buffer, aad: Buffer): Buffer {
    return this.hsm.withSession(() => this.hsm.gcmDecrypt(this.key(), wrapped, aad));
  }
}

/**
 * Root of trust inside any PKCS#11 token. The root key is a non-extractable AES-256 token
 * object found by label (created on first start); vault KEKs are generated and wrapped
 * inside the token and opened as non-extractable session objects, so neither the root key
 * nor a plaintext KEK ever enters this process.
 */
export class Pkcs11KeyProvider implements KeyProvider, RootKeyRotation {
  readonly name = "pkcs11" as const;
  /** Bumped on every reconnect; session-object handles from older generations are stale. */
  generation = 0;
  private sessionHandle: Handle | undefined;
  private slot: Handle | undefined;
  private roots = new Map<number, Handle>();
  private closed = false;

  private constructor(
    private readonly shared: SharedLibrary,
    readonly options: Pkcs11Options,
  ) {}

  static async open(options: Pkcs11Options, opts: { createRoot?: boolean } = {}): Promise<Pkcs11KeyProvider> {
    const shared = SharedLibrary.acquire(options.module);
    const provider = new Pkcs11KeyProvider(shared, options);
    try {
      provider.connect();
      if (provider.rootVersions().length === 0) {
        if (opts.createRoot === false) {
          throw new ConfigError("ONECLAW_PKCS11_KEY_LABEL", `no AES key labelled "${options.keyLabel}" on token "${options.tokenLabel}"`);
        }
        provider.generateRoot(1);
      }
    } catch (e) {
      provider.dispose();
      throw e;
    }
    return provider;
  }

  /** PKCS#11 constants and the raw library, for tests that pull the session out from under us. */
  get p11(): Pkcs11Types.PKCS11 {
    return this.shared.p11;
  }
  get session(): Handle | undefined {
    return this.sessionHandle;
  }

  private get lib() {
    return this.shared.lib;
  }

  private connect() {
    const { p11, lib } = this;
    this.shared.initialize();
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === this.options.tokenLabel);
    if (!slot) {
      throw new ConfigError("ONECLAW_PKCS11_TOKEN_LABEL", `no token labelled "${this.options.tokenLabel}" in ${this.options.module}`);
    }
    const session = p11.C_OpenSession(slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
    try {
      p11.C_Login(session, lib.CKU_USER, this.options.pin);
    } catch (e) {
      const code = codeOf(e);
      if (code !== 0x100 /* CKR_USER_ALREADY_LOGGED_IN */) {
        try {
          p11.C_CloseSession(session);
        } catch {
          /* ignore */
        }
        if (code === 0xa0 || code === 0xa4) {
          throw new ConfigError("ONECLAW_PKCS11_PIN", `token "${this.options.tokenLabel}" rejected the PIN (${(e as Error).message})`);
        }
        throw e;
      }
    }
    this.slot = slot;
    this.sessionHandle = session;
    this.roots.clear();
    this.generation++;
  }

  private reconnect() {
    if (this.sessionHandle) {
      try {
        this.p11.C_CloseSession(this.sessionHandle);
      } catch {
        /* the session is already gone */
      }
    }
    this.sessionHandle = undefined;
    this.connect();
  }

  /** Runs one HSM operation; when the session or library state is lost, reconnects once and retries. */
  withSession<T>(op: (session: Handle) => T): T {
    if (this.closed) throw new Error("the PKCS#11 key provider is closed");
    if (!this.sessionHandle) this.reconnect();
    try {
      return op(this.sessionHandle!);
    } catch (e) {
      const code = codeOf(e);
      if (code === undefined || !SESSION_LOST.has(code)) throw e;
      this.reconnect();
      return op(this.sessionHandle!);
    }
  }

  // ---- root key versions -------------------------------------------------------------

  private rootTemplateSearch(): Pkcs11Types.Template {
    const { lib } = this;
    return [
      { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
      { type: lib.CKA_KEY_TYPE, value: lib.CKK_AES },
      { type: lib.CKA_LABEL, value: this.options.keyLabel },
    ];
  }

  /** Root key objects by version; CKA_ID `oneclaw-root-v<n>`, an operator-made key without one is version 1. */
  private scanRoots(): Map<number, Handle> {
    return this.withSession((s) => {
      const { p11, lib } = this;
      p11.C_FindObjectsInit(s, this.rootTemplateSearch());
      const found: Handle[] = [];
      try {
        for (;;) {
          const batch = p11.C_FindObjects(s, 16);
          if (!batch.length) break;
          found.push(...batch);
        }
      } finally {
        p11.C_FindObjectsFinal(s);
      }
      const out = new Map<number, Handle>();
      for (const h of found) {
        const [id] = p11.C_GetAttributeValue(s, h, [{ type: lib.CKA_ID }]);
        const m = /^oneclaw-root-v(\d+)$/.exec(Buffer.isBuffer(id.value) ? id.value.toString("latin1") : "");
        out.set(m ? Number(m[1]) : 1, h);
      }
      return out;
    });
  }

  rootVersions(): number[] {
    const roots = this.scanRoots();
    this.roots = roots;
    return [...roots.keys()].sort((a, b) => a - b);
  }

  private root(version: number): Handle {
    let h = this.roots.get(version);
    if (!h) {
      this.roots = this.scanRoots();
      h = this.roots.get(version);
    }
    if (!h) throw new RootKeyRetiredError(`root key version ${version} is not on the token`);
    return h;
  }

  private generateRoot(version: number): void {
    const { p11, lib } = this;
    this.withSession((s) =>
      p11.C_GenerateKey(s, { mechanism: lib.CKM_AES_KEY_GEN }, [
        ...this.rootTemplateSearch(),
        { type: lib.CKA_ID, value: Buffer.from(`oneclaw-root-v${version}`) },
        { type: lib.CKA_VALUE_LEN, value: 32 },
        { type: lib.CKA_TOKEN, value: true },
        { type: lib.CKA_PRIVATE, value: true },
        { type: lib.CKA_SENSITIVE, value: true },
        { type: lib.CKA_EXTRACTABLE, value: false },
        { type: lib.CKA_MODIFIABLE, value: false },
        { type: lib.CKA_ENCRYPT, value: true },
        { type: lib.CKA_DECRYPT, value: true },
        { type: lib.CKA_WRAP, value: true },
        { type: lib.CKA_UNWRAP, value: true },
      ]),
    );
    this.roots = this.scanRoots();
  }

  /** The newest root version wraps; re-read each time so a rotation started elsewhere is seen. */
  async currentRootVersion(): Promise<number> {
    const versions = this.rootVersions();
    if (!versions.length) throw new KeyIntegrityError(`no root key labelled "${this.options.keyLabel}" on the token`);
    return versions[versions.length - 1]!;
  }

  async createRootVersion(version: number): Promise<void> {
    if (!this.rootVersions().includes(version)) this.generateRoot(version);
  }

  async retireRootVersion(version: number): Promise<void> {
    const h = this.scanRoots().get(version);
    if (h) this.withSession((s) => this.p11.C_DestroyObject(s, h));
    this.roots = this.scanRoots();
  }

  rootVersionOf(wrapped: Buffer): number | undefined {
    if (wrapped.length <= HEADER || (wrapped[0] !== FORMAT_KEK && wrapped[0] !== FORMAT_DATA)) return undefined;
    return wrapped.readUInt32BE(1);
  }

  // ---- primitives inside the token ---------------------------------------------------

  gcmEncrypt(key: Handle, plaintext: Buffer, aad: Buffer): Buffer {
    const { p11, lib } = this;
    const iv = crypto.randomBytes(12);
    const s = this.sessionHandle!;
    p11.C_EncryptInit(s, { mechanism: lib.CKM_AES_GCM, parameter: { type: lib.CK_PARAMS_AES_GCM, iv, aad, ivBits: 96, tagBits: 128 } as Pkcs11Types.AesGCM }, key);
    const out = p11.C_Encrypt(s, plaintext, Buffer.alloc(plaintext.length + 16));
    return Buffer.concat([iv, out]);
  }

  gcmDecrypt(key: Handle, box: Buffer, aad: Buffer): Buffer {
    if (box.length < 12 + 16) throw new KeyIntegrityError();
    const { p11, lib } = this;
    const s = this.sessionHandle!;
    p11.C_DecryptInit(
      s,
      { mechanism: lib.CKM_AES_GCM, parameter: { type: lib.CK_PARAMS_AES_GCM, iv: box.subarray(0, 12), aad, ivBits: 96, tagBits: 128 } as Pkcs11Types.AesGCM },
      key,
    );
    try {
      return p11.C_Decrypt(s, box.subarray(12), Buffer.alloc(box.length));
    } catch (e) {
      const code = codeOf(e);
      if (code !== undefined && INTEGRITY.has(code)) throw new KeyIntegrityError();
      throw e;
    }
  }

  private header(format: number, version: number): Buffer {
    const h = Buffer.alloc(HEADER);
    h[0] = format;
    h.writeUInt32BE(version, 1);
    return h;
  }

  private kekTemplate(extractable: boolean): Pkcs11Types.Template {
    const { lib } = this;
    return [
      { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
      { type: lib.CKA_KEY_TYPE, value: lib.CKK_AES },
      { type: lib.CKA_TOKEN, value: false },
      { type: lib.CKA_PRIVATE, value: true },
      { type: lib.CKA_SENSITIVE, value: true },
      { type: lib.CKA_EXTRACTABLE, value: extractable },
      { type: lib.CKA_ENCRYPT, value: true },
      { type: lib.CKA_DECRYPT, value: true },
    ];
  }

  /** Unwraps a KEK blob into a session object (extractable only for re-wrapping under another root). */
  unwrapKekToSession(wrapped: Buffer, extractable: boolean): Handle {
    if (wrapped[0] !== FORMAT_KEK || wrapped.length !== HEADER + 40) throw new KeyIntegrityError("not a PKCS#11-wrapped vault key");
    const version = wrapped.readUInt32BE(1);
    return this.withSession((s) => {
      try {
        return this.p11.C_UnwrapKey(s, { mechanism: this.lib.CKM_AES_KEY_WRAP }, this.root(version), wrapped.subarray(HEADER), this.kekTemplate(extractable));
      } catch (e) {
        const code = codeOf(e);
        if (code !== undefined && INTEGRITY.has(code)) throw new KeyIntegrityError();
        throw e;
      }
    });
  }

  private wrapSessionKek(version: number, kek: Handle): Buffer {
    const body = this.withSession((s) => this.p11.C_WrapKey(s, { mechanism: this.lib.CKM_AES_KEY_WRAP }, this.root(version), kek, Buffer.alloc(64)));
    return Buffer.concat([this.header(FORMAT_KEK, version), body]);
  }

  private destroy(h: Handle) {
    try {
      this.withSession((s) => this.p11.C_DestroyObject(s, h));
    } catch {
      /* session objects also disappear with their session */
    }
  }

  // ---- KeyProvider -------------------------------------------------------------------

  async wrap(plaintext: Buffer, aad: Buffer): Promise<Buffer> {
    return this.wrapUnder(await this.currentRootVersion(), plaintext, aad);
  }

  wrapUnder(version: number, plaintext: Buffer, aad: Buffer): Buffer {
    return Buffer.concat([this.header(FORMAT_DATA, version), this.withSession(() => this.gcmEncrypt(this.root(version), plaintext, aad))]);
  }

  async unwrap(wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    if (wrapped[0] !== FORMAT_DATA || wrapped.length < HEADER + 28) throw new KeyIntegrityError("not a PKCS#11-wrapped value");
    const version = wrapped.readUInt32BE(1);
    return this.withSession(() => this.gcmDecrypt(this.root(version), wrapped.subarray(HEADER), aad));
  }

  async createVaultKey(_vaultId: string): Promise<Buffer> {
    const version = await this.currentRootVersion();
    const { lib } = this;
    const kek = this.withSession((s) =>
      this.p11.C_GenerateKey(s, { mechanism: lib.CKM_AES_KEY_GEN }, [...this.kekTemplate(true), { type: lib.CKA_VALUE_LEN, value: 32 }]),
    );
    try {
      return this.wrapSessionKek(version, kek);
    } finally {
      this.destroy(kek);
    }
  }

  async openVaultKey(_vaultId: string, wrappedKek: Buffer): Promise<VaultKey> {
    const key = new HsmVaultKey(this, wrappedKek);
    // Open now so a bad blob fails here (and the caller's cache drops it), not on first use.
    key.open();
    return key;
  }

  /** Re-wraps a KEK under another root version without its plaintext leaving the token. */
  async rewrapKek(_vaultId: string, wrappedKek: Buffer, toVersion: number): Promise<Buffer> {
    if (this.rootVersionOf(wrappedKek) === toVersion) return wrappedKek;
    const kek = this.unwrapKekToSession(wrappedKek, true);
    try {
      return this.wrapSessionKek(toVersion, kek);
    } finally {
      this.destroy(kek);
    }
  }

  async rewrap(wrapped: Buffer, aad: Buffer, toVersion: number): Promise<Buffer> {
    if (this.rootVersionOf(wrapped) === toVersion) return wrapped;
    const plain = await this.unwrap(wrapped, aad);
    try {
      return this.wrapUnder(toVersion, plain, aad);
    } finally {
      plain.fill(0);
    }
  }

  /** Imports a plaintext KEK (migration from the local provider) and returns it wrapped by the HSM root. */
  async importVaultKey(kekPlain: Buffer): Promise<Buffer> {
    const version = await this.currentRootVersion();
    const { lib } = this;
    const kek = this.withSession((s) =>
      this.p11.C_CreateObject(s, [...this.kekTemplate(true), { type: lib.CKA_VALUE, value: kekPlain }]),
    );
    try {
      return this.wrapSessionKek(version, kek);
    } finally {
      this.destroy(kek);
    }
  }

  async health() {
    try {
      this.withSession((s) => this.p11.C_GetSessionInfo(s));
      return { connected: true, token: this.options.tokenLabel };
    } catch {
      return { connected: false, token: this.options.tokenLabel };
    }
  }

  private dispose() {
    if (this.sessionHandle) {
      try {
        this.p11.C_CloseSession(this.sessionHandle);
      } catch {
        /* gone */
      }
    }
    this.sessionHandle = undefined;
    this.shared.release();
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    this.dispose();
  }
}
