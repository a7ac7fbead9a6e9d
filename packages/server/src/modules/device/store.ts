import { ModuleStore, type Tx } from "../../store/db.js";

export type DeviceTables = {
  device_codes: {
    device_code_hash: string;
    user_code: string;
    client_id: string;
    status: "pending" | "approved" | "denied";
    user_id: string | null;
    expires_at: string;
    last_poll_at: string | null;
    created_at: string;
  };
};
export type DeviceCodeRow = DeviceTables["device_codes"];

export class DeviceStore extends ModuleStore<DeviceTables> {

  insert(trx: Tx, row: DeviceCodeRow) {
    return this.tx(trx).insertInto("device_codes").values(row).execute();
  }

  byUserCode(userCode: string) {
    return this.db.selectFrom("device_codes").selectAll().where("user_code", "=", userCode).executeTakeFirst();
  }

  byDeviceHash(hash: string) {
    return this.db.selectFrom("device_codes").selectAll().where("device_code_hash", "=", hash).executeTakeFirst();
  }

  async decide(trx: Tx, userCode: string, status: "approved" | "denied", userId: string): Promise<boolean> {
    const r = await this.tx(trx)
      .updateTable("device_codes")
      .set({ status, user_id: userId })
      .where("user_code", "=", userCode)
      .where("status", "=", "pending")
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  touchPoll(trx: Tx, hash: string, at: string) {
    return this.tx(trx).updateTable("device_codes").set({ last_poll_at: at }).where("device_code_hash", "=", hash).execute();
  }

  /** Deletes the code and returns it, so an approved code yields exactly one token. */
  take(trx: Tx, hash: string) {
    return this.tx(trx).deleteFrom("device_codes").where("device_code_hash", "=", hash).returningAll().executeTakeFirst();
  }

  deleteExpired(trx: Tx, now: string) {
    return this.tx(trx).deleteFrom("device_codes").where("expires_at", "<", now).execute();
  }
}
