const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

const isSpace = (c: number): boolean =>
  c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * The JSON text of each element of the top-level array in `body`, a UTF-8
 * body that `JSON.parse` has already accepted, so that ingest publishes the
 * bytes it was sent instead of stringifying what it just parsed. An element
 * with whitespace between its tokens gets `undefined` (it is stringified:
 * every frame stays one compact line). `null` when `body` is not an array
 * of `count` elements.
 */
export function arrayElementTexts(
  body: Buffer,
  count: number,
): (string | undefined)[] | null {
  const texts: (string | undefined)[] = [];
  let i = 0;
  while (i < body.length && isSpace(body[i])) i++;
  if (body[i] !== OPEN_ARRAY) return null;
  i++;
  for (;;) {
    while (i < body.length && isSpace(body[i])) i++;
    if (i >= body.length) return null;
    if (body[i] === CLOSE_ARRAY) break;
    const start = i;
    let end = i;
    let depth = 0;
    let spaced = false;
    let pendingSpace = false;
    for (; i < body.length; i++) {
      const c = body[i];
      if (isSpace(c)) {
        pendingSpace = true;
        continue;
      }
      if (depth === 0 && (c === COMMA || c === CLOSE_ARRAY)) break;
      spaced ||= pendingSpace;
      pendingSpace = false;
      if (c === QUOTE) {
        // To the closing quote, past escaped characters.
        for (i++; i < body.length && body[i] !== QUOTE; i++) {
          if (body[i] === BACKSLASH) i++;
        }
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
      end = i + 1;
    }
    if (i >= body.length) return null;
    texts.push(spaced ? undefined : body.toString('utf8', start, end));
    if (body[i] === CLOSE_ARRAY) break;
    i++;
  }
  return texts.length === count ? texts : null;
}
