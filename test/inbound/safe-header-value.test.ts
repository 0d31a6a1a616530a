import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { safeFilename, safeMediaType } from '../../shared/inbound/safe-header-value';

describe('safe header values from mail', () => {
  it('keeps clean media types, lowercased; anything else is opaque bytes', () => {
    assert.equal(safeMediaType('Application/PDF'), 'application/pdf');
    assert.equal(safeMediaType(' message/rfc822 '), 'message/rfc822');
    assert.equal(safeMediaType('application/vnd.openxmlformats-officedocument.wordprocessingml.document'), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    for (const bad of ['application/pdf\u0001', 'text/\u0000plain', 'text', '', null, undefined, 'a/b c', 'image/png\r\nX-Injected: 1', 'tëxt/plain']) {
      assert.equal(safeMediaType(bad), 'application/octet-stream', JSON.stringify(bad));
    }
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
