import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeFilename, safeMediaType, safeText } from '../../shared/inbound/safe-header-value';

/** What mailparser has been seen to hand over in place of a string: `false` for `Content-Type: ; name=…`, objects, arrays, numbers. */
const NOT_STRINGS: unknown[] = [false, true, 0, 42, NaN, {}, { value: 'image/png' }, ['image/png'], [], Symbol('x'), () => 'image/png', new Date(0), Buffer.from('image/png')];

describe('safe header values from mail', () => {
  it('keeps clean media types, lowercased; anything else is opaque bytes', () => {
    assert.equal(safeMediaType('Application/PDF'), 'application/pdf');
    assert.equal(safeMediaType(' message/rfc822 '), 'message/rfc822');
    assert.equal(safeMediaType('application/vnd.openxmlformats-officedocument.wordprocessingml.document'), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    for (const bad of ['application/pdf\u0001', 'text/\u0000plain', 'text', '', null, undefined, 'a/b c', 'image/png\r\nX-Injected: 1', 'tëxt/plain']) {
      assert.equal(safeMediaType(bad), 'application/octet-stream', JSON.stringify(bad));
    }
  });

  it('a value of any other type is opaque bytes, no filename, no text: never an exception', () => {
    for (const value of NOT_STRINGS) {
      assert.equal(safeMediaType(value), 'application/octet-stream', String(typeof value));
      assert.equal(safeFilename(value), undefined, String(typeof value));
      assert.equal(safeText(value), undefined, String(typeof value));
    }
  });

  it('text values lose control bytes and are bounded; empty is no value', () => {
    assert.equal(safeText(' inline\u0000 '), 'inline');
    assert.equal(safeText('   '), undefined);
    assert.equal(safeText('x'.repeat(70_000))?.length, 998);
    assert.equal(safeText('x'.repeat(70_000), 10), 'x'.repeat(10));
  });

  it('filenames lose control bytes and paths', () => {
    assert.equal(safeFilename('cv\u0002.pdf'), 'cv.pdf');
    assert.equal(safeFilename('a\u0000b\r.txt'), 'ab.txt');
    assert.equal(safeFilename('../../etc/passwd'), '.._.._etc_passwd');
    assert.equal(safeFilename('Lebenslauf Müller.pdf'), 'Lebenslauf Müller.pdf');
    assert.equal(safeFilename('\u0001\u0002'), undefined);
    assert.equal(safeFilename('x'.repeat(400))?.length, 255);
  });

});
