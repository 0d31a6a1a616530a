/**
 * Mails for the inbound benchmark when the shared corpus is not there: the shapes the inbound
 * function sees (a direct reply, a redirected mail, a forward written inline, a forward with
 * the original attached, a mail with a document), generated with nodemailer's MailComposer.
 */
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type Mail from 'nodemailer/lib/mailer';

const PARAGRAPH =
  'Thank you for getting back to me so quickly. I am still very interested in the position and would be happy to talk next week; Tuesday and Thursday afternoons work best for me.';

function candidate(index: number): string {
  return `candidate${index}@example.org`;
}

function shape(index: number): Mail.Options {
  const from = { name: `Candidate ${index}`, address: candidate(index) };
  const base = {
    to: 'jobs@acme.example',
    date: new Date(Date.UTC(2026, 5, 1, 9, index % 60)),
    messageId: `<bench-${index}@example.org>`,
  };
  switch (index % 5) {
    case 0:
      return { ...base, from, subject: `Re: Your application (${index})`, inReplyTo: `<out-${index}@mail.acme.example>`, references: [`<out-${index}@mail.acme.example>`], text: `${PARAGRAPH}\n\n> On Monday, Acme Recruiting wrote:\n> Could you tell us when you are free?` };
    case 1:
      return { ...base, from, subject: `Application ${index}`, text: PARAGRAPH, html: `<div><p>${PARAGRAPH}</p><p><img src="https://tracker.example/pixel.gif"></p></div>`, headers: { 'Resent-From': 'jobs@acme.example' } };
    case 2:
      return {
        ...base,
        from: { name: 'Acme Jobs', address: 'jobs@acme.example' },
        subject: `Fwd: Application ${index}`,
        text: `FYI\n\n---------- Forwarded message ---------\nFrom: Candidate ${index} <${candidate(index)}>\nDate: Mon, 1 Jun 2026 at 09:00\nSubject: Application ${index}\nTo: <jobs@acme.example>\n\n${PARAGRAPH}`,
      };
    case 3: {
      const original = `From: Candidate ${index} <${candidate(index)}>\r\nTo: jobs@acme.example\r\nSubject: Application ${index}\r\nMessage-ID: <orig-${index}@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${PARAGRAPH}\r\n`;
      return {
        ...base,
        from: { name: 'Acme Jobs', address: 'jobs@acme.example' },
        subject: `Fwd: Application ${index}`,
        text: 'See the attached mail.',
        attachments: [{ filename: 'application.eml', contentType: 'message/rfc822', content: original }],
      };
    }
    default:
      return {
        ...base,
        from,
        subject: `CV ${index}`,
        text: PARAGRAPH,
        html: `<p>${PARAGRAPH}</p>`,
        attachments: [{ filename: `cv-${index}.pdf`, contentType: 'application/pdf', content: randomBytes(20 * 1024 + index * 512) }],
      };
  }
}

export async function syntheticMails(count: number): Promise<Buffer[]> {
  const mails: Buffer[] = [];
  for (let index = 0; index < count; index += 1) {
    mails.push(await new MailComposer({ ...shape(index), newline: 'windows', disableFileAccess: true, disableUrlAccess: true }).compile().build());
  }
  return mails;
}
