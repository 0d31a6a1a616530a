/**
 * The warning of a send's `202` when the message is bigger than its route's server last
 * announced it takes (EHLO `SIZE`, remembered on the settings by a test or a send): the message
 * is queued all the same and will fall back (or fail) with `MESSAGE_TOO_LARGE`.
 */
import { companySettingsBehind, smtpOwner } from '../email-settings/company-fallback';
import type { SettingsStore } from '../email-settings/settings-store';
import type { MessageRecord } from './model';

export interface SendWarning {
  code: 'MESSAGE_TOO_LARGE';
  message: string;
}

/** Headers, MIME framing and the base64 of attachments (4/3), as the message goes on the wire. */
export function estimatedWireSize(message: Pick<MessageRecord, 'attachments' | 'text' | 'html'>, bodyBytes?: number): number {
  const body = bodyBytes ?? Buffer.byteLength(message.text ?? '', 'utf8') + Buffer.byteLength(message.html ?? '', 'utf8');
  const attachments = message.attachments.reduce((sum, attachment) => sum + Math.ceil(attachment.size / 3) * 4 * (78 / 76), 0);
  return Math.round(4096 + body * 1.05 + attachments);
}

export async function sizeWarnings(settings: Pick<SettingsStore, 'get'>, message: MessageRecord): Promise<SendWarning[]> {
  const scope = await settings.get(message.companyId, message.scope);
  if (!scope) return [];
  const owner = smtpOwner(scope, await companySettingsBehind(settings, message.companyId, message.scope, scope));
  const limit = owner?.smtp?.sizeLimit ?? null;
  if (!limit) return [];
  const size = estimatedWireSize(message);
  if (size <= limit) return [];
  return [
    {
      code: 'MESSAGE_TOO_LARGE',
      message: `The message is about ${size} bytes as sent, more than the ${limit} bytes the company's server last said it accepts: it will ${owner!.fallbackToDefault ? 'go through the default provider' : 'fail'} unless the server's limit has grown.`,
    },
  ];
}
