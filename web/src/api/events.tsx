import { createParser } from 'eventsource-parser';
import { createContext, type ReactNode, useContext, useEffect, useRef } from 'react';
import { getToken } from './client';
import type { ServerEvent } from './types';

type Listener = (event: ServerEvent) => void;
type Events = { subscribe(listener: Listener): () => void };

const EventsContext = createContext<Events>({ subscribe: () => () => {} });

/**
 * One `GET /api/events/` stream per signed-in tab, read with fetch so the token travels in the
 * Authorization header (EventSource cannot send it). Reconnects after a dropped connection.
 */
export function EventsProvider({ token, children }: { token: string | null; children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const events = useRef<Events>({
    subscribe(listener) {
      listeners.current.add(listener);
      return () => listeners.current.delete(listener);
    },
  });

  useEffect(() => {
    if (!token) return;
    const controller = new AbortController();
    const dispatch = (event: ServerEvent) => {
      for (const listener of listeners.current) listener(event);
    };
    void follow(controller.signal, dispatch);
    return () => controller.abort();
  }, [token]);

  return <EventsContext.Provider value={events.current}>{children}</EventsContext.Provider>;
}

async function follow(signal: AbortSignal, dispatch: (event: ServerEvent) => void): Promise<void> {
  let retryMs = 3000;
  while (!signal.aborted) {
    try {
      const res = await fetch('/api/events/', {
        headers: { authorization: `Token ${getToken()}`, accept: 'text/event-stream' },
        signal,
      });
      // Signed out or the token was revoked: the next API call sends the user to the login page.
      if (res.status === 401 || !res.body) return;
      const parser = createParser({
        onEvent(message) {
          if (message.event && message.event !== 'message') return;
          try {
            dispatch(JSON.parse(message.data) as ServerEvent);
          } catch {
            // Not JSON: not an event of ours.
          }
        },
        onRetry(ms) {
          retryMs = ms;
        },
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(value);
      }
    } catch {
      if (signal.aborted) return;
    }
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

/** Calls `listener` for every event of the signed-in user while the component is mounted. */
export function useServerEvents(listener: Listener): void {
  const events = useContext(EventsContext);
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => events.subscribe((event) => latest.current(event)), [events]);
}
