/**
 * The header every mail we send carries (our message id): the send worker sets it, and inbound
 * classification knows our own mail coming back by it.
 */
export const OWN_MAIL_HEADER = 'X-Recruiting-Mail-Id';
