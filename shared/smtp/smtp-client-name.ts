import os from 'node:os';

/** EHLO name of the test probe and of sending: the machine's name when it is a domain name, else an address literal (RFC 5321). */
export function defaultClientName(): string {
  const name = os.hostname();
  return name.includes('.') && /^[a-z0-9.-]+$/i.test(name) ? name : '[127.0.0.1]';
}
