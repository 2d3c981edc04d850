import { dataField, lineField } from './sse-fields.js';

describe('SSE fields', () => {
  it('writes a value without line breaks as one field', () => {
    expect(dataField('{"a":1}')).toBe('data: {"a":1}\n');
    expect(lineField('event', 'tick')).toBe('event: tick\n');
  });

  it('splits data at CR, LF and CRLF into data lines, never a blank line', () => {
    expect(dataField('{"a":\r\n1,\r"b":\n2}')).toBe(
      'data: {"a":\ndata: 1,\ndata: "b":\ndata: 2}\n',
    );
    expect(dataField('x\n\nid: 9')).toBe('data: x\ndata: \ndata: id: 9\n');
  });

  it('escapes CR and LF in a one-line field', () => {
    expect(lineField('event', 'a\nid: 9\r\nretry: 1')).toBe(
      'event: a\\nid: 9\\r\\nretry: 1\n',
    );
  });
});
