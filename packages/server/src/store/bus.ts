import crypto from "node:crypto";
import { EventEmitter } from "node:events";
import pg from "pg";

type Handler = (data: string) => void;

/**
 * Cache invalidation across replicas. Publishing applies the change locally at once and,
 * on PostgreSQL, tells other replicas through NOTIFY; they receive it through LISTEN.
 */
export class Bus {
  private readonly local = new EventEmitter();
  private readonly id = crypto.randomUUID();
  private listener?: pg.Client;

  private constructor(
    private readonly pool?: pg.Pool,
    private readonly channel = "oneclaw_bus",
  ) {
    this.local.setMaxListeners(100);
  }

  static local(): Bus {
    return new Bus();
  }

  static async postgres(pool: pg.Pool, connectionString: string | undefined, schema?: string): Promise<Bus> {
    const bus = new Bus(pool, schema ? `oneclaw_bus_${schema}` : "oneclaw_bus");
    const client = new pg.Client({ connectionString });
    await client.connect();
    client.on("notification", (msg) => {
      if (!msg.payload) return;
      try {
        const { from, topic, data } = JSON.parse(msg.payload);
        if (from !== bus.id) bus.local.emit(topic, data);
      } catch {
        /* not ours */
      }
    });
    client.on("error", () => undefined);
    await client.query(`LISTEN "${bus.channel}"`);
    bus.listener = client;
    return bus;
  }

  subscribe(topic: string, fn: Handler): void {
    this.local.on(topic, fn);
  }

  async publish(topic: string, data: string): Promise<void> {
    this.local.emit(topic, data);
    if (this.pool) {
      await this.pool.query("select pg_notify($1, $2)", [this.channel, JSON.stringify({ from: this.id, topic, data })]);
    }
  }

  async close(): Promise<void> {
    await this.listener?.end().catch(() => undefined);
  }
}
