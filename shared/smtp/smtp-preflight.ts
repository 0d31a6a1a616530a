/**
 * What is decided before any connection, for the test probe and for sending alike: the
 * settings advice (DESIGN section 1) and the refusals that need no server (a known-bad host,
 * plaintext where this installation does not allow it), and the secrets to redact.
 */
import { isSmtpResultCode, type SmtpResultCode } from '../error-catalogue';
import { accessTokenForms, mergeSecretForms } from '../oauth/xoauth2';
import { secretForms } from './redact-secrets';
import { adviseSmtpSettings } from './advise-settings';
import type { OutboundPolicy, SettingsAdvice, SmtpServerSettings } from './types';

/** A refusal at stage `policy`, before any connection. */
export interface PolicyRefusal {
  stage: 'policy';
  code: SmtpResultCode;
  message: string;
  hint: string;
}

export interface Preflight {
  /** Doubtful choices that do not stop the conversation (reported beside a test's result). */
  warnings: SettingsAdvice[];
  /** Set when the conversation must not start. */
  refusal: PolicyRefusal | null;
}

export function preflight(settings: SmtpServerSettings, policy: OutboundPolicy): Preflight {
  const advice = adviseSmtpSettings(settings);
  const warnings = advice.filter((item) => item.severity === 'warning');
  const blocking = advice.find((item) => item.severity === 'error');
  if (blocking) {
    const code = isSmtpResultCode(blocking.code) ? blocking.code : 'HOST_NOT_SUPPORTED';
    return { warnings, refusal: { stage: 'policy', code, message: blocking.message, hint: blocking.hint } };
  }
  if (settings.security === 'none' && !policy.allowPlaintext) {
    return {
      warnings,
      refusal: {
        stage: 'policy',
        code: 'DESTINATION_BLOCKED',
        message: 'Unencrypted SMTP (security "none") is not allowed by this service.',
        hint: 'Choose STARTTLS (usually port 587) or SSL/TLS (usually port 465).',
      },
    };
  }
  return { warnings, refusal: null };
}

/** Every form the settings' password or access token can take, for redaction. */
export function settingsSecrets(settings: SmtpServerSettings): string[] {
  return mergeSecretForms(secretForms(settings.username, settings.password), accessTokenForms(settings.username, settings.accessToken));
}
