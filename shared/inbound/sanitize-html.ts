import sanitizeHtml from 'sanitize-html';

/**
 * Makes inbound mail HTML safe to store and serve: an allowlist of formatting tags and
 * attributes (sanitize-html), no scripts, event handlers, forms, frames, objects, <meta>
 * refreshes or <style> blocks, only http(s)/mailto/tel links (with rel="noopener noreferrer"),
 * inline styles stripped of anything that can run code or load a URL.
 *
 * Remote images are kept but disarmed: their URL moves to `data-remote-src` and the element
 * gets `data-remote-image`, so the frontend shows them only when the user asks (a remote image
 * tells the sender the mail was opened). `cid:` images (attachments of the mail) and `data:`
 * images stay as they are.
 */

export interface SanitizedMailHtml {
  html: string;
  /** How many remote images were disarmed. */
  remoteImages: number;
}

const DATA_IMAGE = /^data:image\/(?:png|gif|jpe?g|webp|bmp|x-icon|vnd\.microsoft\.icon);/i;
const REMOTE_URL = /^(?:https?:)?\/\//i;
const DANGEROUS_CSS = /expression\s*\(|javascript:|vbscript:|behaviou?r\s*:|-moz-binding|url\s*\(|@import|\\|<|>|&#|\/\*/i;
/** Properties that could lay mail content over the application around it. */
const BLOCKED_CSS_PROPERTIES = new Set(['position', 'z-index', 'top', 'left', 'right', 'bottom', 'inset', 'content']);

const COMMON_ATTRIBUTES = [
  'style', 'align', 'valign', 'width', 'height', 'bgcolor', 'color', 'border', 'cellpadding', 'cellspacing',
  'colspan', 'rowspan', 'dir', 'lang', 'title', 'face', 'size', 'nowrap',
];

function cleanStyle(style: string): string {
  return style
    .split(';')
    .map((declaration) => declaration.trim())
    .filter((declaration) => {
      const colon = declaration.indexOf(':');
      if (colon <= 0) return false;
      const property = declaration.slice(0, colon).trim().toLowerCase();
      return /^-?[a-z][a-z-]*$/.test(property) && !BLOCKED_CSS_PROPERTIES.has(property) && !DANGEROUS_CSS.test(declaration);
    })
    .join('; ');
}

export function sanitizeMailHtml(html: string): SanitizedMailHtml {
  let remoteImages = 0;
  const clean = sanitizeHtml(html, {
    allowedTags: [
      ...sanitizeHtml.defaults.allowedTags,
      'img', 'font', 'center', 'span', 'div', 'u', 's', 'strike', 'small', 'big', 'hr', 'sub', 'sup',
    ],
    disallowedTagsMode: 'discard',
    nonTextTags: ['script', 'style', 'textarea', 'option', 'title', 'head', 'noscript', 'select', 'template', 'xmp', 'iframe', 'object', 'embed', 'svg', 'math'],
    allowedAttributes: {
      '*': COMMON_ATTRIBUTES,
      a: ['href', 'name', 'target', 'rel'],
      img: ['src', 'alt', 'data-remote-src', 'data-remote-image'],
      ol: ['start', 'type'],
      ul: ['type'],
      td: ['abbr', 'headers', 'scope'],
      th: ['abbr', 'headers', 'scope'],
    },
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowedSchemesByTag: { img: ['cid', 'data'] },
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
    allowProtocolRelative: false,
    allowedStyles: undefined,
    transformTags: {
      a: (tagName, attribs) => ({
        tagName,
        attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer' },
      }),
      img: (tagName, attribs) => {
        const { src = '', srcset: _srcset, ...rest } = attribs;
        const source = src.trim();
        if (REMOTE_URL.test(source)) {
          remoteImages += 1;
          const url = source.startsWith('//') ? `https:${source}` : source;
          return { tagName, attribs: { ...rest, 'data-remote-src': url, 'data-remote-image': '' } };
        }
        const keep = /^cid:/i.test(source) || DATA_IMAGE.test(source);
        // A data-remote-src the sender wrote is not ours: never let it through.
        const { 'data-remote-src': _forgedSrc, 'data-remote-image': _forgedFlag, ...own } = rest;
        return { tagName, attribs: keep ? { ...own, src: source } : own };
      },
      '*': (tagName, attribs) => {
        if (attribs.style === undefined) return { tagName, attribs };
        const style = cleanStyle(attribs.style);
        const { style: _dropped, ...rest } = attribs;
        return { tagName, attribs: style ? { ...rest, style } : rest };
      },
    },
  });
  return { html: clean, remoteImages };
}
