import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import nodemailer, { type Transporter } from "nodemailer";

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/**
 * Outgoing mail: SMTP when ONECLAW_SMTP_URL is set, otherwise one JSON file per message in
 * `<dataDir>/outbox/` (mode 0600) for a local instance. Sending never blocks a request's answer.
 */
export class Mailer {
  private readonly transport?: Transporter;
  readonly outboxDir: string;

  constructor(
    dataDir: string,
    smtpUrl: string | undefined,
    private readonly from = process.env.ONECLAW_EMAIL_FROM || "oneclaw <noreply@oneclaw.local>",
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {
    this.outboxDir = path.join(dataDir, "outbox");
    if (smtpUrl) this.transport = nodemailer.createTransport(smtpUrl);
  }

  async send(mail: Mail): Promise<void> {
    try {
      if (this.transport) {
        await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text });
        return;
      }
      fs.mkdirSync(this.outboxDir, { recursive: true, mode: 0o700 });
      const name = `${Date.now()}-${crypto.randomUUID()}.json`;
      fs.writeFileSync(path.join(this.outboxDir, name), JSON.stringify({ from: this.from, ...mail, sent_at: new Date().toISOString() }), { mode: 0o600 });
    } catch (e) {
      this.onError(e);
    }
  }

  /** Fire and forget: delivery problems are logged, never surfaced to the caller. */
  queue(mail: Mail): void {
    void this.send(mail);
  }
}
