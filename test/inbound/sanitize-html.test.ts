import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sanitizeMailHtml } from '../../shared/inbound/sanitize-html';
import { parseFixture } from './fixtures';

describe('sanitizeMailHtml', () => {
  it('removes everything that can run code, submit data or navigate away', async () => {
    const mail = await parseFixture('nasty-html.eml');
    const { html, remoteImages } = sanitizeMailHtml(mail.html ?? '');
    for (const forbidden of [/<script/i, /steal\(/, /\son\w+=/i, /javascript:/i, /<form/i, /<input/i, /<iframe/i, /<object/i, /<meta/i, /<style/i, /expression\(/i]) {
      assert.doesNotMatch(html, forbidden);
    }
    assert.match(html, /Hello <b>recruiter<\/b>/);
    assert.match(html, /<p style="color:#333">/);
    assert.equal(remoteImages, 1);
  });

  it('keeps remote images but marks them so the frontend can block them', () => {
    const { html, remoteImages } = sanitizeMailHtml(
      '<img src="https://tracker.example/open.gif" alt="logo"><img src="//cdn.example/x.png"><img src="http://plain.example/y.png">',
    );
    assert.equal(remoteImages, 3);
    assert.doesNotMatch(html, /\ssrc=/);
    assert.match(html, /<img alt="logo" data-remote-src="https:\/\/tracker\.example\/open\.gif" data-remote-image/);
    assert.match(html, /data-remote-src="https:\/\/cdn\.example\/x\.png"/);
  });

  it('keeps cid: and data: images, drops other data: URLs and forged markers', () => {
    const { html, remoteImages } = sanitizeMailHtml(
      '<img src="cid:photo@evil.example"><img src="data:image/png;base64,iVBORw0KGgo="><img src="data:text/html;base64,PHNjcmlwdD4="><img data-remote-src="javascript:alert(1)" data-remote-image>',
    );
    assert.equal(remoteImages, 0);
    assert.match(html, /<img src="cid:photo@evil\.example" \/>/);
    assert.match(html, /<img src="data:image\/png;base64,iVBORw0KGgo=" \/>/);
    assert.doesNotMatch(html, /data:text\/html/);
    assert.doesNotMatch(html, /javascript:/);
  });

  it('keeps safe links and makes them open without a referrer', () => {
    const { html } = sanitizeMailHtml(
      '<a href="https://cv.example/me">CV</a> <a href="mailto:me@mail.example">mail</a> <a href="vbscript:x">v</a> <a href="data:text/html,x">d</a> <a href="//evil.example">p</a>',
    );
    assert.match(html, /<a href="https:\/\/cv\.example\/me" target="_blank" rel="noopener noreferrer">CV<\/a>/);
    assert.match(html, /<a href="mailto:me@mail\.example"/);
    assert.doesNotMatch(html, /vbscript:|data:text|\/\/evil/);
  });

  it('cleans inline styles of URLs, expressions and overlays', () => {
    const { html } = sanitizeMailHtml(
      '<div style="color: red; background: url(https://t.example/x.gif); position: fixed; width: expression(alert(1)); font-size: 12px">x</div>',
    );
    assert.equal(html, '<div style="color:red;font-size:12px">x</div>');
  });
});
