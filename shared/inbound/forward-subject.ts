/**
 * Forward prefixes that mail clients put in front of the subject, in the languages we have
 * seen (Outlook localises them; Gmail, Thunderbird and Apple Mail mostly write "Fwd:").
 * A reply prefix first ("Re: Fwd: …") means the mail is a reply, not a forward.
 */
const FORWARD_PREFIXES = [
  'fwd',
  'fw',
  'fwd?\\[\\d+\\]', // "Fwd[2]:" from clients that count forwards
  'wg', // de
  'tr', // fr
  'rv', // es
  'enc', // pt-br
  'i', // it
  'vs', // da, no
  'vb', // sv
  'vl', // fi
  'pd', // pl
  'doorst', // nl
  'redir\\.', // ro
  'videresend', // no
  'İLT', // tr (no simple case folding for İ, so spelled as written)
  'ilt',
  'tov', // hu
  'továbbítás', // hu
  'fs', // is
  'pfw',
  'πρθ', // el
  'пересл\\.?', // ru, uk
  'переслать',
  'пересылка',
  'fwd?\\s?\\(\\d+\\)',
  '转发',
  '轉寄',
  '転送',
  '전달',
];

const FORWARD_PATTERN = new RegExp(`^(?:\\s*\\[[^\\]]{1,40}\\])*\\s*(${FORWARD_PREFIXES.join('|')})\\s?[:：]`, 'iu');

export function detectForwardSubject(subject: string | undefined): { prefix: string } | null {
  if (!subject) return null;
  const match = FORWARD_PATTERN.exec(subject.normalize('NFC'));
  return match ? { prefix: match[1] } : null;
}

const REPLY_PREFIXES = [
  're', 'aw', 'sv', 'antw', 'antwort', 'r', 'rif', 'odp', 'odg', 'vá', 'ynt', 'réf', 'ref', 'res', 'vs', 'ats', 'atb',
  'отв', 'ответ', '回复', '回覆', '答复', '返信', '답장', 'σχετ', 'απ',
];
const REPLY_PATTERN = new RegExp(
  `^(?:\\s*\\[[^\\]]{1,40}\\])*\\s*(?:${REPLY_PREFIXES.join('|')})(?:\\[\\d+\\]|\\(\\d+\\))?\\s?[:：]`,
  'iu',
);

/** "Re:" and its translations at the start of the subject. */
export function detectReplySubject(subject: string | undefined): boolean {
  return Boolean(subject && !detectForwardSubject(subject) && REPLY_PATTERN.test(subject.normalize('NFC')));
}
