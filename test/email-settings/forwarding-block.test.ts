/**
 * The redirect check learns the forwarding block (DESIGN capability 12): the 5.7.520 bounce of
 * the redirect test mail (here an Exchange Online NDR, read from the company mailbox over IMAP)
 * turns `redirect.status` to `failed` with `FORWARDING_BLOCKED`, the admin's step and the pointer
 * to `mode: imap`; the test mail itself, read from the mailbox, verifies nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ensureScopeSettings } from '../../shared/email-settings/email-settings-service';
import { isForwardingBlockedBounce } from '../../shared/email-settings/forwarding-block';
import { toSettingsView } from '../../shared/email-settings/settings-view';
import { fileInboundMail } from '../../shared/messages/file-inbound-mail';
import { MemoryBlobStore } from '../support/memory-blob-store';
import { MemoryCandidatesStore } from '../support/memory-candidates-store';
import { MemoryMessagesStore } from '../support/memory-messages-store';
import { MemorySettingsStore } from '../support/memory-settings-store';
import '../support/quiet-logs';
import { testInboundAddresses } from '../support/inbound-addresses';

const INBOUND_DOMAIN = 'inbound.test.local';
const now = () => new Date();

describe('recognising the forwarding block', () => {
  it('knows Exchange Online\'s 5.7.520 in a status, a diagnostic or a bounce text, and nothing else', () => {
    assert.equal(isForwardingBlockedBounce('5.7.520'), true);
    assert.equal(isForwardingBlockedBounce(null, 'smtp;550 5.7.520 Access denied, Your organization does not allow external forwarding. AS(7555)'), true);
    assert.equal(isForwardingBlockedBounce('Your organization does not allow external forwarding.'), true);
    assert.equal(isForwardingBlockedBounce('5.1.1', 'smtp; 550 5.1.1 User unknown'), false);
    assert.equal(isForwardingBlockedBounce('5.7.5200'), false);
    assert.equal(isForwardingBlockedBounce(undefined, null), false);
  });
});

describe('the redirect check and the mailbox', () => {
  async function pendingScope() {
    const settings = new MemorySettingsStore();
    const deps = { store: settings, inboundAddresses: testInboundAddresses(INBOUND_DOMAIN), maxScopesPerCompany: 10, now };
    const scope = await ensureScopeSettings(deps, 'contoso', 'main');
    const token = 'rchk-0123456789abcdef0123';
    const pending = { ...scope, address: 'jobs@contoso.test', redirect: { status: 'pending' as const, token, sentAt: now().toISOString(), verifiedAt: null, hint: null }, version: scope.version + 1 };
    await settings.replace(pending, scope.version);
    const blobs = new MemoryBlobStore();
    const filing = { settings, candidates: new MemoryCandidatesStore(), messages: new MemoryMessagesStore(), blobs, inboundDomain: INBOUND_DOMAIN, inboundAddresses: deps.inboundAddresses, ourDomains: [INBOUND_DOMAIN, 'mail.recruiting.example'], now };
    const file = async (rawKey: string, raw: Buffer) => {
      await blobs.put(rawKey, raw, 'message/rfc822');
      return fileInboundMail(filing, { rawKey, recipients: [pending.inboundAddress], verdicts: { spam: null, virus: null, spf: null, dkim: null, dmarc: null }, receivedAt: now().toISOString(), readFromMailbox: true });
    };
    return { settings, pending, token, file };
  }

  it('turns failed with FORWARDING_BLOCKED, the anti-spam policy step and the pointer to mode imap', async () => {
    const { settings, pending, token, file } = await pendingScope();
    const ndr = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'mail', 'exchange-forwarding-blocked-ndr.eml'), 'utf8')
      .replaceAll('{{TOKEN}}', token)
      .replaceAll('{{INBOUND_ADDRESS}}', pending.inboundAddress)
      .replaceAll('{{ORIGINAL_MESSAGE_ID}}', 'redirect-check-1@mail.recruiting.example');
    const outcomes = await file('inbound/imap/ndr-1', Buffer.from(ndr));
    assert.equal(outcomes[0]?.result, 'unassigned');
    const view = toSettingsView((await settings.get('contoso', 'main'))!, null);
    assert.equal(view.redirect.status, 'failed');
    assert.equal(view.redirect.code, 'FORWARDING_BLOCKED');
    assert.match(view.redirect.hint ?? '', /Anti-spam outbound policy/);
    assert.match(view.redirect.hint ?? '', /mode: imap/);
  });

  it('a test mail read from the mailbox itself verifies nothing: it is our own mail, ignored', async () => {
    const { settings, token, file } = await pendingScope();
    const testMail = [
      'From: "Contoso Recruiting" <no-reply@mail.recruiting.example>',
      'To: jobs@contoso.test',
      `Subject: Forwarding check ${token}`,
      'Message-ID: <redirect-check-2@mail.recruiting.example>',
      `X-Recruiting-Redirect-Token: ${token}`,
      '',
      `Check code: ${token}`,
      '',
    ].join('\r\n');
    const outcomes = await file('inbound/imap/test-mail-1', Buffer.from(testMail));
    assert.equal(outcomes[0]?.result, 'ignored_loop');
    assert.equal((await settings.get('contoso', 'main'))?.redirect.status, 'pending');
  });
});
