/**
 * Ports the functions may connect to on customers' mail servers: the destination guard's default
 * for SMTP_ALLOWED_PORTS, the value the stack sets, and the ports its security group opens.
 */
export const SMTP_ALLOWED_PORTS = [25, 465, 587, 2525] as const;
