/**
 * Ports the functions may connect to on customers' IMAP servers (reading a company mailbox,
 * DESIGN capability 12): the destination guard's default for IMAP_ALLOWED_PORTS, the value the
 * stack sets, and the ports its security group opens, beside the SMTP ones.
 */
export const IMAP_ALLOWED_PORTS = [143, 993] as const;
