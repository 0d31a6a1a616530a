/**
 * Hints an IT admin can act on, in the providers' own words, for what goes wrong with OAuth2:
 * getting the token (stage `oauth`) and the SMTP server's verdict on it (stage `auth`).
 */
import type { OAuthFlow, OAuthProvider } from '../email-settings/model';
import type { SmtpResultCode } from '../smtp/types';
import type { OAuthError } from './oauth-client';

export function oauthTokenHint(error: OAuthError, flow: OAuthFlow): string {
  const microsoft = error.provider === 'microsoft';
  switch (error.code) {
    case 'OAUTH_NOT_CONFIGURED':
      return 'The operator of this service must register an OAuth client for this provider and set its id and secret (see the README, "OAuth2 sign-in").';
    case 'OAUTH_CONSENT_REQUIRED':
      if (microsoft && flow === 'app') {
        return 'A Global or Privileged Role Administrator must grant admin consent: Microsoft Entra admin center → Enterprise applications → this app → Permissions → "Grant admin consent", including the Office 365 Exchange Online permission SMTP.SendAsApp; then connect again.';
      }
      if (microsoft) {
        return 'Your tenant requires an administrator to approve the app (AADSTS65001 / AADSTS90094 "Need admin approval"): Microsoft Entra admin center → Enterprise applications → this app → Permissions → "Grant admin consent" for SMTP.Send, or allow user consent; then connect again.';
      }
      return 'A Google Workspace administrator must allow the app: Admin console → Security → Access and data control → API controls → Manage third-party app access → mark this app as Trusted (the https://mail.google.com/ scope); then connect again.';
    case 'OAUTH_REAUTHORIZE_REQUIRED':
      if (microsoft && flow === 'app') return 'The admin consent was withdrawn or the app was removed from the tenant: grant admin consent again.';
      if (microsoft) return 'The sign-in expired or was revoked (password change, session revoked, 90 days unused): connect the mailbox again.';
      return 'Google revoked the sign-in (password change, access removed in the Google account, 6 months unused, or 7 days while the app is in "Testing"): connect the mailbox again.';
    case 'TEMPORARY_FAILURE':
      return 'Try again in a few minutes; if it persists, check the provider\'s service status page.';
    default:
      return 'Give the provider\'s answer above to your IT; connecting the mailbox again often helps.';
  }
}

/** What to do when the SMTP server refuses an OAuth2 login (stage `auth`). */
export function oauthSmtpHint(code: SmtpResultCode, provider: OAuthProvider, flow: OAuthFlow, account: string): string | null {
  if (provider === 'microsoft') {
    const appFlow =
      flow === 'app'
        ? ` For the app flow, Exchange must know the app: in Exchange Online PowerShell run New-ServicePrincipal -AppId <client id> -ObjectId <enterprise app object id>, then Add-MailboxPermission -Identity ${account} -User <service principal id> -AccessRights FullAccess (and Add-RecipientPermission … -AccessRights SendAs), and the app needs the SMTP.SendAsApp permission with admin consent.`
        : ' The app needs the delegated permission SMTP.Send (Office 365 Exchange Online), consented for the user.';
    if (code === 'AUTH_DISABLED' || code === 'AUTH_FAILED') {
      return `Microsoft 365 refused the token. SMTP AUTH must be enabled for the mailbox even with OAuth: Microsoft 365 admin center → Users → Active users → ${account} → Mail → Manage email apps → "Authenticated SMTP" on (and not disabled tenant-wide in Exchange admin center → Settings → Mail flow).${appFlow}`;
    }
    if (code === 'SENDER_NOT_ALLOWED') {
      return `The mailbox ${account} does not allow sending as the from address: Exchange admin center → Recipients → Mailboxes → ${account} → Delegation → Send as.`;
    }
    return null;
  }
  if (code === 'AUTH_FAILED' || code === 'AUTH_DISABLED' || code === 'APP_PASSWORD_REQUIRED') {
    return `Google refused the token for ${account}. Check that the Google Workspace administrator allows the app (Admin console → Security → API controls → Trusted apps) and that the account may use SMTP; connect the mailbox again if it persists.`;
  }
  if (code === 'SENDER_NOT_ALLOWED') return `Add the from address as a "Send mail as" address of ${account} in Gmail settings → Accounts.`;
  return null;
}
