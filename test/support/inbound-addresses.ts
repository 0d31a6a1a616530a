import { createLocalMac } from '../../shared/adapters/local-mac';
import { inboundAddresses } from '../../shared/email-settings/inbound-address';

/** Inbound addresses as the local backend derives them, with a fixed test key. */
export const testInboundAddresses = (inboundDomain: string) => inboundAddresses(inboundDomain, createLocalMac(Buffer.alloc(32, 7)));
