/**
 * `npm run token [-- --company acme --roles admin,recruiter]`: prints a local bearer token
 * (HS256 with LOCAL_JWT_SECRET, the claims the deployed JWT authorizer passes on).
 */
import { parseArgs } from 'node:util';
import { companyIdFromClaim } from '../../shared/http/tenant-claims';
import { signLocalToken } from './local-jwt';
import { localSettings } from './local-settings';

const { values } = parseArgs({
  options: {
    company: { type: 'string', default: 'acme' },
    roles: { type: 'string', default: 'admin,recruiter' },
    subject: { type: 'string' },
  },
});

// A company id the API would refuse (tenant-claims.ts) makes a token that only answers 401: say so now.
try {
  companyIdFromClaim(values.company, 'company');
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}

const token = await signLocalToken(localSettings().jwtSecret, {
  companyId: values.company!,
  roles: values.roles!.split(',').map((role) => role.trim()).filter(Boolean),
  subject: values.subject,
});
process.stdout.write(`${token}\n`);
