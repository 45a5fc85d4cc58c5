import { isSensitiveKey } from './names';

/**
 * Credential-named pairs inside a string: `name=value` (query strings, libpq and ADO-style
 * connection strings, `key=value` log text: `?access_token=…`, `password=…`,
 * `X-Amz-Security-Token=…`) and `"name": value` (JSON, Python reprs) or `name: 'value'`
 * (util.inspect), such as a response body quoted in an error message. Each scan starts from the
 * separators (`=`, `:`) and reads the name backwards, so it is linear in the text's length
 * whatever the text (request paths come from clients).
 */

// Character codes the scans compare with.
const TAB = 9;
const NEWLINE = 10;
const SPACE = 32;
const DOUBLE_QUOTE = 34; // "
const DOLLAR = 36; // $
const PERCENT = 37; // %
const AMPERSAND = 38; // &
const SINGLE_QUOTE = 39; // '
const OPEN_PAREN = 40; // (
const CLOSE_PAREN = 41; // )
const COMMA = 44; // ,
const MINUS = 45; // -
const DOT = 46; // .
const SEMICOLON = 59; // ;
const LESS = 60; // <
const EQUALS = 61; // =
const GREATER = 62; // >
const OPEN_BRACKET = 91; // [
const BACKSLASH = 92; // \
const CLOSE_BRACKET = 93; // ]
const UNDERSCORE = 95; // _
const OPEN_BRACE = 123; // {
const CLOSE_BRACE = 125; // }

const WORD = new Uint8Array(128);
for (let c = 48; c <= 57; c++) WORD[c] = 1;
for (let c = 65; c <= 90; c++) WORD[c] = 1;
for (let c = 97; c <= 122; c++) WORD[c] = 1;
WORD[UNDERSCORE] = 1;

/** Letters, digits, `_`, and what query and config names add: `.`, `-`, `%`, `[`, `]` (`user[password]`, `user%5Bpassword%5D`). */
function isNameChar(c: number): boolean {
  return c < 128 && (WORD[c] === 1 || c === DOT || c === MINUS || c === PERCENT || c === OPEN_BRACKET || c === CLOSE_BRACKET);
}

function isIdentifierChar(c: number): boolean {
  return c < 128 && (WORD[c] === 1 || c === DOLLAR);
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function isWhitespace(c: number): boolean {
  return c === SPACE || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0xfeff;
}

function isQuote(c: number): boolean {
  return c === DOUBLE_QUOTE || c === SINGLE_QUOTE;
}

export interface Span {
  /** Index of the value's first character (after an opening quote). */
  readonly start: number;
  /** Index just past the value (before a closing quote). */
  readonly end: number;
}

/** Where a quoted value that opens at `open` ends: before its closing quote, or at the line's end. */
function quotedValueEnd(text: string, open: number, escapes: boolean): number {
  const quote = text.charCodeAt(open);
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === quote) return i;
    if (c === NEWLINE) return i;
    if (escapes && c === BACKSLASH) i++;
  }
  return text.length;
}

/** Whether `name=` (a name, then `=`) follows `from`: where `&` or `;` separates pairs. */
function pairFollows(text: string, from: number): boolean {
  let i = from;
  while (i < text.length && isBlank(text.charCodeAt(i))) i++;
  const nameStart = i;
  while (i < text.length && (isNameChar(text.charCodeAt(i)) || isBlank(text.charCodeAt(i)))) i++;
  return i > nameStart && i < text.length && text.charCodeAt(i) === EQUALS;
}

/**
 * A bare value after `=`: to whitespace, a quote or `<>`, and to `&` or `;` only where another
 * `name=` follows (a password may hold either).
 */
function bareEqualsValueEnd(text: string, start: number): number {
  let i = start;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isWhitespace(c) || isQuote(c) || c === LESS || c === GREATER) break;
    if ((c === AMPERSAND || c === SEMICOLON) && pairFollows(text, i + 1)) break;
  }
  return i;
}

/** The values of credential-named `name=value` pairs in a text. */
export function equalsPairValues(text: string, found: Span[] = []): Span[] {
  let at = text.indexOf('=');
  while (at !== -1) {
    let nameEnd = at;
    while (nameEnd > 0 && isBlank(text.charCodeAt(nameEnd - 1))) nameEnd--;
    let nameStart = nameEnd;
    while (nameStart > 0 && isNameChar(text.charCodeAt(nameStart - 1))) nameStart--;
    let next = at + 1;
    if (nameStart < nameEnd && isSensitiveKey(text.slice(nameStart, nameEnd))) {
      let start = at + 1;
      while (start < text.length && isBlank(text.charCodeAt(start))) start++;
      if (start < text.length && isQuote(text.charCodeAt(start))) {
        const end = quotedValueEnd(text, start, false);
        if (end > start + 1) found.push({ start: start + 1, end });
        next = end + 1;
      } else {
        const end = bareEqualsValueEnd(text, start);
        if (end > start) found.push({ start, end });
        next = end;
      }
    }
    at = text.indexOf('=', next);
  }
  return found;
}

/** A bare value after `"name":`: a number, `true`, an unquoted token; not an object or array. */
function bareColonValueEnd(text: string, start: number): number {
  let i = start;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isWhitespace(c) || isQuote(c) || c === COMMA || c === SEMICOLON || c === OPEN_BRACE || c === CLOSE_BRACE) break;
    if (c === OPEN_BRACKET || c === CLOSE_BRACKET || c === OPEN_PAREN || c === CLOSE_PAREN) break;
  }
  return i;
}

/**
 * The values of credential-named `"name": value` pairs and `name: 'value'` pairs in a text. A
 * bare name needs a quoted value, so prose like `token: expired` is left alone.
 */
export function colonPairValues(text: string, found: Span[] = []): Span[] {
  let at = text.indexOf(':');
  while (at !== -1) {
    let nameEnd = at;
    while (nameEnd > 0 && isBlank(text.charCodeAt(nameEnd - 1))) nameEnd--;
    const closing = nameEnd > 0 ? text.charCodeAt(nameEnd - 1) : 0;
    const quotedName = isQuote(closing);
    if (quotedName) nameEnd--;
    let nameStart = nameEnd;
    if (quotedName) while (nameStart > 0 && (isNameChar(text.charCodeAt(nameStart - 1)) || text.charCodeAt(nameStart - 1) === DOLLAR)) nameStart--;
    else while (nameStart > 0 && isIdentifierChar(text.charCodeAt(nameStart - 1))) nameStart--;
    const named = nameStart < nameEnd && (!quotedName || (nameStart > 0 && text.charCodeAt(nameStart - 1) === closing));
    let next = at + 1;
    if (named) {
      let start = at + 1;
      while (start < text.length && isBlank(text.charCodeAt(start))) start++;
      const quotedValue = start < text.length && isQuote(text.charCodeAt(start));
      if ((quotedValue || quotedName) && isSensitiveKey(text.slice(nameStart, nameEnd))) {
        if (quotedValue) {
          const end = quotedValueEnd(text, start, true);
          if (end > start + 1) found.push({ start: start + 1, end });
          next = end + 1;
        } else {
          const end = bareColonValueEnd(text, start);
          if (end > start) found.push({ start, end });
          next = end;
        }
      }
    }
    at = text.indexOf(':', next);
  }
  return found;
}
