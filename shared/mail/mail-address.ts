/** A mailbox: its address and, when it has one, a display name. */
export interface MailAddress {
  address: string;
  name?: string;
}

/** A mailbox as stored on a message and returned by the API: a missing name is `null`, never absent. */
export type StoredMailAddress = Omit<MailAddress, 'name'> & { name: string | null };

/** The stored form of a mailbox. */
export function storedAddress(mailbox: { address: string; name?: string | null }): StoredMailAddress {
  return { address: mailbox.address, name: mailbox.name ?? null };
}
