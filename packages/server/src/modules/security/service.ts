import crypto from "node:crypto";
import type { CreateIpRuleRequest } from "@oneclaw/contract";
import type { FastifyRequest } from "fastify";
import type { AppContext } from "../../context.js";
import { conflict, forbidden, invalidField, limitExceeded, notFound } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { nowIso } from "../../store/db.js";
import { manager } from "../org/service.js";
import { cidrContains, parseCidr, parseClientIp, type Cidr } from "./cidr.js";
import { SecurityStore, type IpRuleRow } from "./store.js";

const RULES_TOPIC = "ip_rules.changed";
const MAX_RULES_PER_ORG = 1000;

interface CompiledRule {
  type: "allow" | "deny";
  cidr: Cidr;
  appliesTo: string;
}

/**
 * Org IP rules, checked after authentication on every request of the org (behaviour notes §10.6):
 * a matching deny rule refuses; once an allow rule exists, the client must match one.
 * Rules are cached per org and the cache is dropped on every replica when they change.
 */
export class SecurityService {
  readonly store: SecurityStore;
  private readonly cache = new Map<string, CompiledRule[]>();

  constructor(private readonly ctx: AppContext) {
    this.store = new SecurityStore(ctx.db);
    ctx.bus.subscribe(RULES_TOPIC, (orgId) => this.cache.delete(orgId));
    // the IP filter runs right after authentication, before usage metering (behaviour notes §2.1)
    ctx.hooks.afterAuth.unshift((req) => this.enforce(req));
  }

  private async enforce(req: FastifyRequest) {
    const p = req.principal;
    if (!p) return;
    const rules = await this.compiled(p.orgId);
    if (rules.length && !permits(rules, p, req.ip)) throw forbidden("Access denied from this IP address");
  }

  private async compiled(orgId: string): Promise<CompiledRule[]> {
    const hit = this.cache.get(orgId);
    if (hit) return hit;
    const rules = compile(await this.store.rules(orgId));
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(orgId, rules);
    return rules;
  }

  async list(p: Principal) {
    manager(p);
    return this.store.rules(p.orgId);
  }

  async create(p: Principal, body: CreateIpRuleRequest, ip: string) {
    manager(p);
    const parsed = parseCidr(body.cidr);
    if (!parsed) throw invalidField("cidr", "must be an IPv4 or IPv6 address or CIDR block, e.g. 203.0.113.0/24 or 2001:db8::/32");
    if (body.label !== undefined && body.description !== undefined && body.label !== body.description) {
      throw invalidField("label", "label and description are the same field; send one of them");
    }
    const row: IpRuleRow = {
      id: crypto.randomUUID(),
      org_id: p.orgId,
      rule_type: body.rule_type === "block" ? "deny" : body.rule_type,
      cidr: parsed.canonical,
      label: body.label ?? body.description ?? null,
      applies_to: body.applies_to ?? "all",
      created_by: p.id,
      created_at: nowIso(),
    };
    await this.ctx.uow.run(async ({ trx, audit }) => {
      const existing = await this.store.rulesIn(trx, p.orgId);
      if (existing.length >= MAX_RULES_PER_ORG) throw limitExceeded(`IP rule limit reached (${existing.length}/${MAX_RULES_PER_ORG})`);
      refuseLockout(compile([...existing, row]), p, ip);
      await this.store.insert(trx, row);
      audit({ orgId: p.orgId, action: "ip_rule.create", actorId: actorId(p), actorType: p.type, resourceType: "ip_rule", resourceId: row.id, details: { rule_type: row.rule_type, cidr: row.cidr, applies_to: row.applies_to }, ip });
    });
    await this.ctx.bus.publish(RULES_TOPIC, p.orgId);
    return row;
  }

  async delete(p: Principal, ruleId: string, ip: string) {
    manager(p);
    await this.ctx.uow.run(async ({ trx, audit }) => {
      const existing = await this.store.rulesIn(trx, p.orgId);
      const rule = existing.find((r) => r.id === ruleId);
      if (!rule) throw notFound("IP rule not found");
      refuseLockout(compile(existing.filter((r) => r.id !== ruleId)), p, ip);
      await this.store.delete(trx, p.orgId, ruleId);
      audit({ orgId: p.orgId, action: "ip_rule.delete", actorId: actorId(p), actorType: p.type, resourceType: "ip_rule", resourceId: ruleId, details: { rule_type: rule.rule_type, cidr: rule.cidr }, ip });
    });
    await this.ctx.bus.publish(RULES_TOPIC, p.orgId);
  }
}

function compile(rows: IpRuleRow[]): CompiledRule[] {
  const out: CompiledRule[] = [];
  for (const r of rows) {
    const parsed = parseCidr(r.cidr);
    if (parsed) out.push({ type: r.rule_type === "allow" ? "allow" : "deny", cidr: parsed.cidr, appliesTo: r.applies_to });
  }
  return out;
}

function permits(rules: CompiledRule[], p: Principal, ip: string): boolean {
  const target = p.type === "agent" ? "agents" : "users";
  const mine = rules.filter((r) => r.appliesTo === "all" || r.appliesTo === target);
  if (!mine.length) return true;
  const addr = parseClientIp(ip);
  const allows = mine.filter((r) => r.type === "allow");
  if (!addr) return allows.length === 0;
  if (mine.some((r) => r.type === "deny" && cidrContains(r.cidr, addr))) return false;
  return allows.length === 0 || allows.some((r) => cidrContains(r.cidr, addr));
}

/** An admin cannot create or delete a rule that would refuse their own current address. */
function refuseLockout(rules: CompiledRule[], p: Principal, ip: string) {
  if (!permits(rules, p, ip)) {
    throw conflict(`This change would block your own address (${ip}) and lock you out; add an allow rule for it first`);
  }
}

export function toIpRule(r: IpRuleRow) {
  return { id: r.id, org_id: r.org_id, rule_type: r.rule_type, cidr: r.cidr, label: r.label, applies_to: r.applies_to, created_by: r.created_by, created_at: r.created_at };
}
