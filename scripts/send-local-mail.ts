/**
 * Sends one mail to the local inbound listener (`npm start`'s stand-in for SES receiving) as the
 * company mailbox's redirect delivers it: From the candidate, To the company's address, and the
 * envelope from that mailbox to the scope's inbound address. For the README walk-through (step 6)
 * and for trying inbound filing by hand.
 *
 *   npm run mail:local -- --to <inboundAddress> --from "Ann <ann@example.com>" --subject "Re: Your interview" --text "Thursday works."
 *
 * Options: --mailbox (the forwarding company mailbox; default the stand-in's login, jobs@acme.com),
 * --port (default INBOUND_SMTP_PORT, else 2525), --in-reply-to <Message-ID>.
 */
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { LOCAL_COMPANY_LOGIN } from '../infra/local/local-company-smtp';
import { localSettings } from '../infra/local/local-settings';

const { values } = parseArgs({
  options: {
    to: { type: 'string' },
    from: { type: 'string' },
    subject: { type: 'string', default: '(no subject)' },
    text: { type: 'string', default: '' },
    mailbox: { type: 'string', default: LOCAL_COMPANY_LOGIN.username },
    port: { type: 'string' },
    'in-reply-to': { type: 'string' },
  },
  strict: true,
});

if (!values.to || !values.from) {
  process.stderr.write('Usage: npm run mail:local -- --to <inbound address> --from "Name <address>" [--subject …] [--text …] [--mailbox …] [--port …]\n');
  process.exit(2);
}

const port = values.port === undefined ? localSettings().inboundSmtpPort : Number(values.port);
const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
try {
  const sent = await transport.sendMail({
    envelope: { from: values.mailbox, to: [values.to] },
    from: values.from,
    to: values.mailbox,
    subject: values.subject,
    text: values.text,
    inReplyTo: values['in-reply-to'],
  });
  process.stdout.write(`sent ${sent.messageId} to ${values.to} through 127.0.0.1:${port}: ${sent.response}\n`);
} catch (error) {
  process.stderr.write(`not sent: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  transport.close();
}
