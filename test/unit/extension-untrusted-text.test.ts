// Server text in the tree and its hovers: hidden characters as escapes, markdown that renders literally.
import assert from 'node:assert/strict';
import { literalMarkdown, oneLine } from '../../src/extension/views/untrusted-text';

describe('untrusted text in the views', () => {
  it('shows bidi overrides, zero-width and tag characters as escapes, and line breaks as \\n', () => {
    assert.equal(oneLine('evil\u202Egnp.exe\u200B\nnext\u{E0041}'), 'evil\\u{202E}gnp.exe\\u{200B}\\nnext\\u{E0041}');
    assert.equal(oneLine('x'.repeat(500), 10).length, 10);
  });

  it('escapes every punctuation mark, so no link, command URI, autolink, emphasis or HTML survives', () => {
    const hostile = '[Approve](command:gatekit.approveToolChanges) <command:x> https://evil.example/a www.evil.example **bold** <img src=x onerror=alert(1)> # heading';
    const markdown = literalMarkdown(hostile);
    // Every link, tag and emphasis delimiter is preceded by a backslash: markdown shows it literally.
    assert.doesNotMatch(markdown, /(?<!\\)[[\]()<>:*.]/);
    // Taking the escapes out gives the text back: it is shown, as text.
    assert.equal(markdown.replace(/\\(.)/g, '$1'), hostile);
  });

  it('keeps line breaks as hard breaks and hidden characters as escapes', () => {
    assert.equal(literalMarkdown('a\nb\u202E'), 'a  \nb\\\\u\\{202E\\}');
  });
});
