import { AppError } from '../../shared/errors';
import { messageIdKey } from '../../shared/mail/message-id';
import { type IdempotencyClaim, isUnsettledOutbound, type MessagesStore } from '../../shared/messages/messages-store';
import type { MessageRecord, MessageStatus, Page } from '../../shared/messages/model';
import { copy, tick } from './tick';

type ListName = string;

/**
 * The MessagesStore contract in memory. `update` checks `onlyIfStatus` and applies the change
 * in one synchronous step after its round trip, so it is atomic as a conditional write is,
 * while two callers still interleave between calls.
 */
export class MemoryMessagesStore implements MessagesStore {
  readonly messages = new Map<string, MessageRecord>();
  readonly idempotency = new Map<string, { bodyHash: string; messageId: string; ttlSeconds: number }>();
  readonly messageIdHeaders = new Map<string, string>();
  readonly inboundMessageIds = new Map<string, string>();
  /** Every successful update, in order (id and the changes applied). */
  readonly updates: { id: string; changes: Partial<MessageRecord> }[] = [];

  async create(message: MessageRecord) {
    await tick();
    if (this.messages.has(message.id)) return false;
    this.messages.set(message.id, copy(message));
    return true;
  }

  async get(id: string) {
    await tick();
    const found = this.messages.get(id);
    return found ? copy(found) : null;
  }

  async update(id: string, changes: Partial<MessageRecord>, onlyIfStatus?: MessageStatus[], onlyIfAttempts?: number) {
    await tick();
    const current = this.messages.get(id);
    if (!current) return null;
    if (onlyIfStatus && !onlyIfStatus.includes(current.status)) return null;
    if (onlyIfAttempts !== undefined && current.attempts !== onlyIfAttempts) return null;
    const next = { ...current, ...copy(changes) };
    this.messages.set(id, next);
    this.updates.push({ id, changes: copy(changes) });
    return copy(next);
  }

  async listUnsettledOutbound(limit: number) {
    await tick();
    return [...this.messages.values()]
      .filter(isUnsettledOutbound)
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1))
      .slice(0, limit)
      .map(copy);
  }

  private listOf(message: MessageRecord): ListName | null {
    if (message.status === 'quarantined') return null;
    return message.candidateId === null ? `${message.companyId}#UNASSIGNED` : `${message.companyId}#CANDIDATE#${message.candidateId}`;
  }

  private async page(list: ListName, page: { cursor?: string; limit: number }): Promise<Page<MessageRecord>> {
    await tick();
    const sortKey = (message: MessageRecord) => `${message.receivedAt ?? message.createdAt}#${message.id}`;
    const all = [...this.messages.values()].filter((message) => this.listOf(message) === list).sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : -1));
    let start = 0;
    if (page.cursor) {
      const [cursorList, after] = JSON.parse(Buffer.from(page.cursor, 'base64url').toString('utf8')) as [string, string];
      if (cursorList !== list) throw new AppError('VALIDATION_FAILED', 'Invalid cursor', [{ path: 'query.cursor', message: 'is not a cursor of this list' }]);
      start = all.findIndex((message) => sortKey(message) < after);
      if (start < 0) start = all.length;
    }
    const items = all.slice(start, start + page.limit);
    const more = start + page.limit < all.length;
    const nextCursor = more ? Buffer.from(JSON.stringify([list, sortKey(items[items.length - 1])])).toString('base64url') : null;
    return { items: items.map(copy), nextCursor };
  }

  listByCandidate(companyId: string, candidateId: string, page: { cursor?: string; limit: number }) {
    return this.page(`${companyId}#CANDIDATE#${candidateId}`, page);
  }

  listUnassigned(companyId: string, page: { cursor?: string; limit: number }) {
    return this.page(`${companyId}#UNASSIGNED`, page);
  }

  async claimIdempotencyKey(companyId: string, key: string, bodyHash: string, messageId: string, ttlSeconds: number): Promise<IdempotencyClaim> {
    await tick();
    const existing = this.idempotency.get(`${companyId}#${key}`);
    if (existing) return { claimed: false, bodyHash: existing.bodyHash, messageId: existing.messageId };
    this.idempotency.set(`${companyId}#${key}`, { bodyHash, messageId, ttlSeconds });
    return { claimed: true, bodyHash, messageId };
  }

  async indexMessageIdHeader(companyId: string, header: string, messageId: string) {
    await tick();
    this.messageIdHeaders.set(`${companyId}#${messageIdKey(header)}`, messageId);
  }

  async findByMessageIdHeader(companyId: string, header: string) {
    await tick();
    return this.messageIdHeaders.get(`${companyId}#${messageIdKey(header)}`) ?? null;
  }

  async claimInboundMessageId(companyId: string, scope: string, header: string, messageId: string) {
    await tick();
    const key = `${companyId}#${scope}#${messageIdKey(header)}`;
    const existing = this.inboundMessageIds.get(key);
    if (existing) return existing;
    this.inboundMessageIds.set(key, messageId);
    return messageId;
  }

  /** Test helper: the stored record, without a copy or a tick. */
  peek(id: string): MessageRecord {
    const found = this.messages.get(id);
    if (!found) throw new Error(`No message ${id}`);
    return found;
  }
}
