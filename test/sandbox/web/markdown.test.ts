import { describe, expect, it } from 'vitest';
import { colorSpec, markdownToText, renderInline, renderMarkdown, safeUrl } from '../../../sandbox/lark/web/markdown.js';

/** Tags the renderer may emit; anything else in the output means raw HTML leaked through. */
const ALLOWED_TAGS = new Set(['p', 'br', 'strong', 'em', 'del', 'code', 'pre', 'a', 'span', 'ul', 'ol', 'li', 'blockquote', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
const ALLOWED_ATTRS = new Set(['class', 'href', 'target', 'rel', 'style']);

function assertSafe(html: string): void {
  for (const m of html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    const tag = m[1]!.toLowerCase();
    expect(ALLOWED_TAGS.has(tag), `tag <${tag}> in ${html}`).toBe(true);
    for (const a of m[2]!.matchAll(/\s([a-zA-Z-]+)\s*=\s*"([^"]*)"/g)) {
      expect(ALLOWED_ATTRS.has(a[1]!.toLowerCase()), `attribute ${a[1]} in ${html}`).toBe(true);
      if (a[1] === 'href') expect(a[2]).toMatch(/^(https?:\/\/|mailto:|tel:)/);
      if (a[1] === 'style') expect(a[2]).toMatch(/^color:#[0-9a-f]{3,6}$/);
    }
    // every attribute is double-quoted: nothing unquoted can smuggle an event handler
    expect(m[2]!.replace(/\s[a-zA-Z-]+="[^"]*"/g, '')).toBe('');
  }
}

describe('renderMarkdown: the Lark subset', () => {
  it('renders emphasis, strike, code and links', () => {
    expect(renderInline('**bold** *it* ~~gone~~ `a<b`')).toBe('<strong>bold</strong> <em>it</em> <del>gone</del> <code class="md-code">a&lt;b</code>');
    expect(renderInline('[docs](https://open.feishu.cn/a?b=1&c=2)')).toBe(
      '<a class="md-link" href="https://open.feishu.cn/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">docs</a>',
    );
    expect(renderInline('**[x](https://a.b)**')).toContain('<strong><a class="md-link" href="https://a.b"');
  });

  it('keeps line breaks, <br> and block structure', () => {
    expect(renderMarkdown('a\nb<br>c')).toBe('<p>a<br>b<br>c</p>');
    expect(renderMarkdown('# Title\n- one\n- **two**\n1. first\n> note\n---\npara')).toBe(
      '<h1 class="md-h">Title</h1><ul><li>one</li><li><strong>two</strong></li></ul><ol><li>first</li></ol>' + '<blockquote>note</blockquote><hr class="md-hr"><p>para</p>',
    );
    expect(renderMarkdown('```\n<b>x</b>\n**y**\n```')).toBe('<pre class="md-pre"><code>&lt;b&gt;x&lt;/b&gt;\n**y**</code></pre>');
  });

  it('colours <font> and <text_tag> with named colours only', () => {
    expect(renderInline("<font color='red'>late</font>")).toBe('<span class="md-font md-c-red">late</span>');
    expect(renderInline('<font color="#00aa00">ok</font>')).toBe('<span class="md-font" style="color:#00aa00">ok</span>');
    expect(renderInline('<font color="red;background:url(x)">x</font>')).toBe('x');
    expect(renderInline("<text_tag color='blue'>机密</text_tag>")).toBe('<span class="md-tag text-tag tag-blue">机密</span>');
    expect(renderInline('<font color=green>**a**</font>')).toBe('<span class="md-font md-c-green"><strong>a</strong></span>');
    expect(colorSpec('GRAY')).toEqual({ cls: 'md-c-grey' });
    expect(colorSpec('rgb(1,2,3)')).toBeNull();
  });

  it('renders mentions with the name the page knows', () => {
    expect(renderInline('<at id=all></at>')).toBe('<span class="md-at">@所有人</span>');
    expect(renderInline('<at id="ou_1"></at>', { mention: (id) => (id === 'ou_1' ? '张伟' : undefined) })).toBe('<span class="md-at">@张伟</span>');
    expect(renderInline('<at user_id="ou_2">李娜</at>')).toBe('<span class="md-at">@李娜</span>');
  });

  it('keeps character references and escapes stray ampersands and quotes', () => {
    expect(renderInline('&#60;tag&#62; &lt; a & b "q" \'s\'')).toBe('&#60;tag&#62; &lt; a &amp; b &quot;q&quot; &#39;s&#39;');
    expect(renderInline('\\*not italic\\*')).toBe('*not italic*');
    expect(renderInline('snake_case_name 2 * 3')).toBe('snake_case_name 2 * 3');
  });

  it('links bare URLs but not trailing punctuation', () => {
    expect(renderInline('see https://example.com/x.')).toBe(
      'see <a class="md-link" href="https://example.com/x" target="_blank" rel="noopener noreferrer">https://example.com/x</a>.',
    );
  });

  it('turns markdown into plain text for previews', () => {
    expect(markdownToText('**a** [b](https://x) <font color=red>c</font> <at id=1>d</at>')).toBe('a b c @d');
  });

  it('handles big inputs quickly', () => {
    const big = '**a** *b* `c` [d](https://e) '.repeat(1500);
    const t0 = Date.now();
    renderMarkdown(big);
    expect(Date.now() - t0).toBeLessThan(500);
  });
});

describe('renderMarkdown: hostile input is neutralised', () => {
  const attacks = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<img src="x" onerror="alert(1)">',
    '<svg/onload=alert(1)>',
    '<a href="javascript:alert(1)">x</a>',
    '[click](javascript:alert(1))',
    '[click](JaVaScRiPt:alert(1))',
    '[click]( javascript:alert(1))',
    '[click](java\tscript:alert(1))',
    '[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '[click](vbscript:msgbox(1))',
    '[click](//evil.example/x)',
    '[x](https://a.b"onmouseover="alert(1))',
    '<font color="red" onmouseover="alert(1)">x</font>',
    '<font color=\'red" onmouseover="alert(1)\'>x</font>',
    '<text_tag color="x" style="position:fixed">x</text_tag>',
    '<at id="\\"><script>alert(1)</script>"></at>',
    '<at id=ou_1><img src=x onerror=alert(1)></at>',
    '**<iframe src=https://evil>**',
    '`</code><script>alert(1)</script>`',
    '```\n</pre><script>alert(1)</script>\n```',
    '<<script>script>alert(1)<</script>/script>',
    '<style>body{display:none}</style>',
    '&lt;script&gt;alert(1)&lt;/script&gt;',
    '<br onclick=alert(1)>',
    'https://a.b/"><script>alert(1)</script>',
  ];

  for (const attack of attacks) {
    it(`neutralises ${JSON.stringify(attack)}`, () => {
      const html = renderMarkdown(attack);
      assertSafe(html);
      expect(html).not.toMatch(/<script/i);
      expect(html).not.toMatch(/<(img|svg|iframe|style)\b/i);
      const markup = html.replace(/>[^<]*</g, '><'); // tags only: escaped text may say "onerror=" harmlessly
      expect(markup).not.toMatch(/\son[a-z]+\s*=/i);
      expect(markup).not.toMatch(/href="(?!https?:|mailto:|tel:)/i);
    });
  }

  it('refuses unsafe URLs', () => {
    expect(safeUrl('javascript:alert(1)')).toBeNull();
    expect(safeUrl('https://ok.example/a')).toBe('https://ok.example/a');
    expect(safeUrl('mailto:a@b.c')).toBe('mailto:a@b.c');
    expect(safeUrl('https://a b')).toBeNull();
    expect(safeUrl(42)).toBeNull();
  });
});
