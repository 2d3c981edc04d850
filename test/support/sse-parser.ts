/**
 * A Server-Sent Events reader that parses the stream as a browser does
 * (the WHATWG "event stream interpretation"): a line ends at CR, LF or
 * CRLF, a blank line dispatches, `data:` lines join with LF, and `id:`,
 * `event:` and `retry:` are fields. Whatever a server writes, a test sees
 * the messages an `EventSource` would, so a forged frame cannot hide.
 */
export interface BrowserSseMessage {
  /** `event:` (`message` when none). */
  event: string;
  data: string;
  /** The last event ID after this message (what `Last-Event-ID` would send). */
  lastEventId: string;
}

export interface BrowserSseReader {
  status: number;
  messages: BrowserSseMessage[];
  /** Every `retry:` value the browser would have taken (ms). */
  retries: number[];
  close(): Promise<void>;
}

export async function openBrowserSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<BrowserSseReader> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const messages: BrowserSseMessage[] = [];
  const retries: number[] = [];
  let lastEventId = '';
  let event = '';
  let data = '';
  const field = (line: string): void => {
    if (line === '') {
      // Dispatch (a message without data is not dispatched).
      if (data !== '') {
        messages.push({
          event: event || 'message',
          data: data.endsWith('\n') ? data.slice(0, -1) : data,
          lastEventId,
        });
      }
      event = '';
      data = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'event') event = value;
    else if (name === 'data') data += value + '\n';
    else if (name === 'id' && !value.includes('\0')) lastEventId = value;
    else if (name === 'retry' && /^\d+$/.test(value)) retries.push(+value);
  };
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const done = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) return;
        buffer += decoder.decode(value, { stream: true });
        // A CR at the very end may be the first half of a CRLF: wait.
        const lines = buffer.split(/\r\n|\r(?!$)|\n/);
        buffer = lines.pop() ?? '';
        for (const line of lines) field(line);
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: response.status,
    messages,
    retries,
    async close() {
      abort.abort();
      await done;
    },
  };
}
