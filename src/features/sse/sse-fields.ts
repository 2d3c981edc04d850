/**
 * SSE fields that no value can break out of. A line of an event stream ends
 * at CR, LF or CRLF, and a blank line ends the message: a CR or LF inside
 * a field would start a field (`id:`, `retry:`) or a message of the
 * sender's choosing. Types are names (no control character passes
 * `eventTypeProblem`) and `JSON.stringify` writes no raw line break, but an
 * event can reach the writer by other roads (a transport's backend, a
 * worker's pre-encoded JSON): the writer checks anyway. It costs one regex
 * test per encoded event, which is shared by every stream.
 */

const LINE_BREAK = /[\r\n]/;

/**
 * `data: <value>` ending the field, one `data:` line per line of `value`.
 * A client joins them with LF, so a JSON text with line breaks (whitespace
 * to JSON) arrives as the same JSON value.
 */
export function dataField(value: string): string {
  if (!LINE_BREAK.test(value)) return `data: ${value}\n`;
  return `data: ${value.split(/\r\n|\r|\n/).join('\ndata: ')}\n`;
}

/** `<name>: <value>` for a one-line field; a CR or LF is written as `\r` or `\n`. */
export function lineField(name: 'event' | 'id', value: string): string {
  if (!LINE_BREAK.test(value)) return `${name}: ${value}\n`;
  return `${name}: ${value.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}\n`;
}
