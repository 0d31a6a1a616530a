/**
 * The one rule for ids that become part of a storage key (company ids from the token, candidate
 * and message ids from paths, bodies and cursors): 1-128 characters from `A-Z a-z 0-9 . _ : @ -`,
 * starting with a letter or digit. Nothing in it can split a key (`#`, `/`) or break a line.
 */
export const ENTITY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
