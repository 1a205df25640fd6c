import { CorefileError } from './errors.js';

/** One line of a Corefile block: a directive (plugin or option) with its arguments. */
export interface Directive {
  name: string;
  args: string[];
  /** The `{ ... }` block after the arguments, if any. */
  block?: Directive[];
  line: number;
}

/** A server block: `.:53 { ... }` has keys [".:53"]. */
export interface ServerBlock {
  keys: string[];
  directives: Directive[];
  line: number;
}

interface Token {
  text: string;
  line: number;
  /** `{`, `}` and line ends are structure; a quoted "{" is a word. */
  kind: 'word' | 'open' | 'close' | 'newline';
}

/**
 * Caddyfile lexing as CoreDNS uses it: words separated by blanks, `#` comments to the end of the
 * line, double-quoted words (with `\"`), and braces as block delimiters. `{` must end a line and `}`
 * stand alone, which is how every Corefile is written; snippets, imports and environment
 * substitution are not supported.
 */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      tokens.push({ text: '\n', line, kind: 'newline' });
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"') {
      const start = line;
      let word = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new CorefileError('unterminated quoted string', start);
        const d = text[i]!;
        if (d === '\\' && text[i + 1] === '"') {
          word += '"';
          i += 2;
        } else if (d === '"') {
          i++;
          break;
        } else {
          if (d === '\n') line++;
          word += d;
          i++;
        }
      }
      tokens.push({ text: word, line: start, kind: 'word' });
    } else {
      let word = '';
      while (i < text.length && !/[\s#"]/.test(text[i]!)) word += text[i++];
      const kind = word === '{' ? 'open' : word === '}' ? 'close' : 'word';
      tokens.push({ text: word, line, kind });
    }
  }
  return tokens;
}

/** Parses a Corefile into server blocks; throws CorefileError with the line of the problem. */
export function parseCorefile(text: string): ServerBlock[] {
  const tokens = tokenize(text);
  let pos = 0;
  const skipNewlines = (): void => {
    while (tokens[pos]?.kind === 'newline') pos++;
  };

  /** Directives up to the matching `}` (which it consumes). */
  const parseBlock = (openedAt: number): Directive[] => {
    const directives: Directive[] = [];
    for (;;) {
      skipNewlines();
      const t = tokens[pos];
      if (!t) throw new CorefileError('missing "}" for the block opened here', openedAt);
      if (t.kind === 'close') {
        pos++;
        return directives;
      }
      if (t.kind === 'open') throw new CorefileError('a block "{" without a directive', t.line);
      const d: Directive = { name: t.text, args: [], line: t.line };
      pos++;
      while (tokens[pos]?.kind === 'word') d.args.push(tokens[pos++]!.text);
      const next = tokens[pos];
      if (next?.kind === 'open') {
        pos++;
        d.block = parseBlock(next.line);
      }
      directives.push(d);
    }
  };

  const blocks: ServerBlock[] = [];
  for (;;) {
    skipNewlines();
    const t = tokens[pos];
    if (!t) break;
    if (t.kind !== 'word') throw new CorefileError(`unexpected "${t.text}"`, t.line);
    const keys: string[] = [];
    // Keys may be separated by blanks, commas or line breaks, up to the `{`.
    while (tokens[pos] && tokens[pos]!.kind !== 'open') {
      const k = tokens[pos]!;
      if (k.kind === 'close') throw new CorefileError('unexpected "}"', k.line);
      if (k.kind === 'word') keys.push(...k.text.split(',').filter((s) => s !== ''));
      pos++;
    }
    const open = tokens[pos];
    if (!open) throw new CorefileError(`server block ${keys.join(' ')} has no "{"`, t.line);
    pos++;
    blocks.push({ keys, directives: parseBlock(open.line), line: t.line });
  }
  if (blocks.length === 0) throw new CorefileError('no server block');
  return blocks;
}
