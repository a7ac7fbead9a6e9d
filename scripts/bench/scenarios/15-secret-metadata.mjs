// The read path without the value: same auth, access check and lookup, no decryption, no audit event.
// Compared with the secret GET it shows what decryption plus the audited group commit cost.
import human from "./10-human-secret-get.mjs";

export default {
  name: "secret metadata GET (no decrypt, no audit)",
  order: 15,
  async setup(ctx) {
    const opts = await human.setup(ctx);
    return { ...opts, path: opts.path.replace("/secrets/", "/metadata/") };
  },
};
