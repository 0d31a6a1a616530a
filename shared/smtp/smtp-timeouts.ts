/**
 * Per-stage timeouts of the SMTP conversation. Short on purpose: nodemailer's own defaults
 * (2 min to connect, 30 s for a greeting, 10 min of socket inactivity) would keep the "test
 * settings" button and the send worker waiting on a blackholed or stalled server.
 */
export interface SmtpTimeouts {
  /** Resolving the host name. */
  dns: number;
  /** The TCP connection. */
  connect: number;
  /** The TLS handshake (implicit TLS or after STARTTLS). */
  tls: number;
  /** The server's 220 greeting. */
  greeting: number;
  /** Each ordinary command: EHLO, STARTTLS, MAIL FROM, RCPT TO, RSET. */
  command: number;
  /**
   * The whole AUTH exchange. Microsoft 365 takes seconds, and servers answer late on purpose
   * after failed logins (Dovecot's auth penalty grows to 15 s): the test gives AUTH whatever
   * is left of its budget, so a correct password after a few wrong ones still gets its answer.
   */
  auth: number;
  /** The reply to the end of DATA (the server may scan the message first). */
  data: number;
  /** The whole conversation, whatever the server does. */
  total: number;
}

/** The test button answers within 15 s: the total leaves a margin for building the answer. */
export const TEST_TIMEOUTS: SmtpTimeouts = {
  dns: 3000,
  connect: 5000,
  tls: 5000,
  greeting: 6000,
  command: 5000,
  auth: 14000,
  data: 10000,
  total: 14000,
};

/** Sending real mail: the same short connection-phase limits, more time for a large message. */
export const SEND_TIMEOUTS: SmtpTimeouts = {
  dns: 3000,
  connect: 5000,
  tls: 5000,
  greeting: 6000,
  command: 10000,
  auth: 10000,
  data: 30000,
  total: 60000,
};

export function withTimeouts(base: SmtpTimeouts, overrides: Partial<SmtpTimeouts> | undefined): SmtpTimeouts {
  return { ...base, ...(overrides ?? {}) };
}
