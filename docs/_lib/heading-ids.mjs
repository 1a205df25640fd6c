// A markdown-it plugin giving every heading an id (GitHub's slug rules, simplified), so pages and
// the embedded READMEs can be linked to by section. Ids repeat-proof within one page: -1, -2, ...

/** The slug of a heading's text: lower case, punctuation dropped, spaces to hyphens. */
export function slug(text) {
  return text
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

export function headingIds(md) {
  md.core.ruler.push('heading_ids', (state) => {
    const seen = new Map();
    const tokens = state.tokens;
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i].type !== 'heading_open') continue;
      const inline = tokens[i + 1];
      const text = (inline.children ?? [])
        .filter((t) => t.type === 'text' || t.type === 'code_inline')
        .map((t) => t.content)
        .join('');
      const base = slug(text) || 'section';
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      tokens[i].attrSet('id', n === 0 ? base : `${base}-${n}`);
    }
  });
}
