/** What the send queue carries: only the id; the message record holds everything else. */
export interface SendJob {
  messageId: string;
}
