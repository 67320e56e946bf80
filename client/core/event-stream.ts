/**
 * A reader of server-sent events (the WHATWG `text/event-stream` format) from a response body:
 * lines split on CR, LF or CRLF; `event`, `data` (lines joined with LF) and `id` fields; comment
 * lines (`:` first) ignored; an event is dispatched at a blank line. No Node API: it runs in the
 * browser console as in the command line.
 */

export interface ServerSentEvent {
  event: string;
  data: string;
  id?: string;
}

/** The events of `body`, until it ends or `signal` aborts (which cancels the body: with an injected fetch nothing else may). */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort);
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (;;) {
        const end = /\r\n|\r|\n/.exec(buffer);
        // A lone CR at the end of the buffer may be the first half of CRLF: wait for more.
        if (!end || (end[0] === '\r' && end.index === buffer.length - 1 && !done)) break;
        const line = buffer.slice(0, end.index);
        buffer = buffer.slice(end.index + end[0].length);
        if (line === '') {
          if (data.length) yield { event: event || 'message', data: data.join('\n'), ...(id !== undefined ? { id } : {}) };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
      }
      if (done) return;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await reader.cancel().catch(() => {});
  }
}
