const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COLON = 0x3a;
/** Deeper than the codec accepts (64 levels): such an element is refused anyway. */
const MAX_COUNTED_DEPTH = 65;

const isSpace = (c: number): boolean =>
  c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Whether the quote at `at` is escaped: an odd run of backslashes before it. */
function escaped(body: Buffer, at: number): boolean {
  let backslashes = 0;
  while (body[at - 1 - backslashes] === BACKSLASH) backslashes++;
  return backslashes % 2 === 1;
}

/**
 * The JSON text of each element of the top-level array in `body`, a UTF-8
 * body that `JSON.parse` has already accepted, so that ingest publishes the
 * bytes it was sent instead of stringifying what it just parsed. An element
 * with whitespace between its tokens gets `undefined` (it is stringified:
 * every frame stays one compact line), and so does one that names a key
 * twice in an object: `JSON.parse` kept the last, and only that was
 * validated (other parsers keep the first, or refuse the text). `null` when
 * `body` is not an array of `elements`, as parsed.
 */
export function arrayElementTexts(
  body: Buffer,
  elements: readonly unknown[],
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
    let members = 0;
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
        // To the closing quote (a native search: events are mostly strings).
        i = body.indexOf(QUOTE, i + 1);
        while (i > 0 && escaped(body, i)) i = body.indexOf(QUOTE, i + 1);
        if (i < 0) return null;
      } else if (c === COLON) members++;
      else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
      end = i + 1;
    }
    if (i >= body.length) return null;
    // As many names as the parsed objects hold members: none named twice.
    const unique =
      members === 0 || members === memberCount(elements[texts.length], 0);
    texts.push(
      spaced || !unique ? undefined : body.toString('utf8', start, end),
    );
    if (body[i] === CLOSE_ARRAY) break;
    i++;
  }
  return texts.length === elements.length ? texts : null;
}

/** The members of the objects in `value`, nested ones included; -1 when too deep. */
function memberCount(value: unknown, depth: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (depth >= MAX_COUNTED_DEPTH) return -1;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) {
      const inner = memberCount(item, depth + 1);
      if (inner < 0) return -1;
      count += inner;
    }
    return count;
  }
  for (const key of Object.keys(value)) {
    const inner = memberCount(
      (value as Record<string, unknown>)[key],
      depth + 1,
    );
    if (inner < 0) return -1;
    count += 1 + inner;
  }
  return count;
}
