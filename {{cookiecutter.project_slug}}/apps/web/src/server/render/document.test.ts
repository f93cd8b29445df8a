import { describe, expect, it } from 'vitest';
import { escapeHtml, renderDocument, serializeState } from './document.js';

const HOSTILE = ['</script><script>alert(1)</script>', '<!-- <script>', '</SCRIPT >', 'a\u2028b\u2029c', '& &amp; <b>'];

function stateScript(html: string): string {
  const match = /<script id="app-state" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error('no state element');
  return match[1]!;
}

describe('serializeState', () => {
  it.each(HOSTILE)('leaves no <, >, &, U+2028 or U+2029 in the output for %j', (title) => {
    const json = serializeState({ title });
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual({ title });
  });
});

describe('renderDocument', () => {
  const parts = { lang: 'en', head: '', body: '<p>x</p>', scripts: ['/assets/main.js'], styles: [] };

  it('keeps hostile state inside the one state element and parses back exactly', () => {
    const state = { posts: HOSTILE.map((title, id) => ({ id, title, body: title })) };
    const html = renderDocument({ ...parts, title: 't', stateJson: serializeState(state) });
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html).not.toContain('<!--');
    expect(JSON.parse(stateScript(html))).toEqual(state);
  });

  it('escapes the title and the lang attribute', () => {
    const html = renderDocument({ ...parts, lang: '"><x', title: '</title><script>', stateJson: '{}' });
    expect(html).toContain('<title>&lt;/title&gt;&lt;script&gt;</title>');
    expect(html).toContain('<html lang="&quot;&gt;&lt;x">');
  });

  it('inlines the favicon and lets the browser theme its own controls in light and dark', () => {
    const html = renderDocument({ ...parts, title: 't', stateJson: '{}' });
    const icon = /<link rel="icon" type="image\/svg\+xml" href="data:image\/svg\+xml,([^"]+)">/.exec(html);
    expect(decodeURIComponent(icon?.[1] ?? '').replaceAll('&#39;', "'")).toMatch(/^<svg [^]*<\/svg>$/);
    expect(html).toContain('<meta name="color-scheme" content="light dark">');
  });

  it('escapeHtml covers quotes for attributes', () => {
    expect(escapeHtml(`"'<>&`)).toBe('&quot;&#39;&lt;&gt;&amp;');
  });
});
