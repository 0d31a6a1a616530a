import { listEnv } from '../config';

/** The public IPs our connections to mail servers leave from (the NAT's EIPs on AWS). */
export const egressIpsFromEnv = (): string[] => listEnv('EGRESS_IPS', []);
