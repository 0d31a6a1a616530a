import { intEnv, optionalEnv } from '../../shared/config';

/** Local mode's settings, each overridable by an environment variable of the same name. */
export function localSettings() {
  return {
    port: intEnv('PORT', 3000),
    dataDir: optionalEnv('LOCAL_DATA_DIR', '.data'),
    jwtSecret: optionalEnv('LOCAL_JWT_SECRET', 'local-dev-secret'),
    inboundDomain: optionalEnv('INBOUND_DOMAIN', 'inbound.localhost'),
    sesPort: intEnv('SES_LOCAL_PORT', 8005),
    inboundSmtpPort: intEnv('INBOUND_SMTP_PORT', 2525),
    /** The company mail server stand-in; `COMPANY_SMTP=off` starts it switched off. */
    companySmtpPort: intEnv('COMPANY_SMTP_PORT', 1587),
    companySmtpOff: optionalEnv('COMPANY_SMTP', 'on') === 'off',
    defaultFromAddress: optionalEnv('DEFAULT_FROM_ADDRESS', 'no-reply@mail.localhost'),
  };
}
