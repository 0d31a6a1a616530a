import type { OAuthFlow, OAuthProvider } from '../email-settings/model';

/** One started connection, waiting for the browser to come back (single use, 10 minutes). */
export interface OAuthStateRecord {
  state: string;
  companyId: string;
  scope: string;
  provider: OAuthProvider;
  flow: OAuthFlow;
  redirectUri: string;
  /** The PKCE verifier, encrypted (purpose `oauth-pkce`); null for the admin-consent flow. */
  codeVerifierCiphertext: string | null;
  nonce: string;
  /** App flow: the tenant given at the start, if any, and the shared mailbox. */
  tenantId: string | null;
  mailbox: string | null;
  /** Ask for reading the mailbox over IMAP too (capability 12); records of before have none. */
  inbound?: boolean;
  /** ISO time after which the state is worthless. */
  expiresAt: string;
}

/** Where started OAuth connections wait. `consume` is atomic: a state answers once. */
export interface OAuthStateStore {
  put(record: OAuthStateRecord): Promise<void>;
  /**
   * Removes and returns the state if it exists and belongs to this company, scope and
   * provider; null otherwise (unknown, used, or someone else's: a foreign state is left alone).
   * Expiry is the caller's check (DynamoDB's TTL deletes late, dynalite never).
   */
  consume(state: string, owner: { companyId: string; scope: string; provider: OAuthProvider }): Promise<OAuthStateRecord | null>;
}

/** Writes back a rotated refresh token only over the one it was refreshed from. */
export interface OAuthTokenStore {
  /**
   * Stores `refreshTokenCiphertext` as token version `seenTokenVersion + 1` if the scope still
   * has SMTP revision `revision` at token version `seenTokenVersion`; false if another worker
   * stored a newer token first (or the settings changed), which then wins.
   */
  storeRefreshToken(companyId: string, scope: string, revision: number, seenTokenVersion: number, refreshTokenCiphertext: string): Promise<boolean>;
}
