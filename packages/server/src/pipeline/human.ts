import { forbidden } from "./errors.js";
import { principalOf, type Principal } from "./principal.js";

/** The principal of a route only human accounts may call (agents get 403). */
export function humanOf(req: { principal?: Principal }): Principal {
  const p = principalOf(req);
  if (p.type !== "user") throw forbidden("This endpoint is for human accounts");
  return p;
}
