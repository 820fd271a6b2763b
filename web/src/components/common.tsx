import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { useLocation } from 'react-router';
import { ApiError, fetchBlobUrl, get } from '../api/client';

/** Loads `path` (re-loading when it or `version` changes); `reload` fetches again. */
export function useApi<T>(path: string | null, version = 0) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` and `tick` are there to load again
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    get<T>(path, controller.signal).then(
      (result) => {
        setData(result);
        setError(undefined);
      },
      (err: unknown) => {
        if ((err as Error).name === 'AbortError') return;
        setError(err instanceof ApiError ? err : new ApiError(0, undefined));
      },
    );
    return () => controller.abort();
  }, [path, version, tick]);
  return { data, error, reload: () => setTick((t) => t + 1), setData };
}

/** The API's messages for a form: the general ones here; field ones go next to their field. */
export function FormErrors({ error, fields = [] }: { error: unknown; fields?: string[] }) {
  if (!error) return null;
  let messages: string[];
  if (error instanceof ApiError) {
    const byField = error.fields;
    const general = Object.entries(byField)
      .filter(([field]) => !fields.includes(field))
      .flatMap(([field, list]) => (field === 'non_field_errors' ? list : list.map((m) => `${field}: ${m}`)));
    const hasDetail = Boolean((error.body as { detail?: unknown } | undefined)?.detail);
    messages =
      general.length > 0 ? general : hasDetail || Object.keys(byField).length === 0 ? [error.message] : [];
  } else messages = [String((error as Error).message ?? error)];
  if (messages.length === 0) return null;
  return (
    <div className="error" role="alert">
      {messages.map((m) => (
        <p key={m}>{m}</p>
      ))}
    </div>
  );
}

/** A labelled input with the API's messages for its field. */
export function Field({
  label,
  name,
  error,
  children,
  hint,
}: {
  label: string;
  name: string;
  error?: unknown;
  hint?: string;
  children: (props: {
    id: string;
    name: string;
    'aria-invalid'?: boolean;
    'aria-describedby'?: string;
  }) => ReactNode;
}) {
  const id = useId();
  const messages = error instanceof ApiError ? (error.fields[name] ?? []) : [];
  const describedBy = messages.length > 0 ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        name,
        ...(messages.length > 0 ? { 'aria-invalid': true } : {}),
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
      })}
      {hint && messages.length === 0 && (
        <small id={`${id}-hint`} className="hint">
          {hint}
        </small>
      )}
      {messages.length > 0 && (
        <small id={`${id}-error`} className="field-error">
          {messages.join(' ')}
        </small>
      )}
    </div>
  );
}

export function ProgressBar({ label, value, text }: { label: string; value: number; text?: string }) {
  const percent = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div className="progress">
      <div className="progress-label">
        <span>{label}</span>
        <span>{text ?? `${percent}%`}</span>
      </div>
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={text ?? `${percent}%`}
      >
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}

export function Pager({
  page,
  count,
  pageSize,
  onPage,
}: {
  page: number;
  count: number;
  pageSize: number;
  onPage: (page: number) => void;
}) {
  const last = Math.max(1, Math.ceil(count / pageSize));
  if (last === 1) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        Page {page} of {last}
      </span>
      <button type="button" disabled={page >= last} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

/** An image behind the token (face thumbnails). */
export function AuthImage({ src, alt, className }: { src: string; alt: string; className?: string }) {
  const [url, setUrl] = useState<string | undefined>(undefined);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const controller = new AbortController();
    let objectUrl: string | undefined;
    fetchBlobUrl(src, controller.signal).then(
      (u) => {
        objectUrl = u;
        setUrl(u);
      },
      (err: unknown) => {
        if ((err as Error).name !== 'AbortError') setFailed(true);
      },
    );
    return () => {
      controller.abort();
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [src]);
  if (failed) return <span className={`thumb-missing ${className ?? ''}`}>No image</span>;
  if (!url) return <span className={`thumb-loading ${className ?? ''}`} aria-hidden="true" />;
  return <img src={url} alt={alt} className={className} />;
}

/**
 * A voice's sample behind the token: a play button that fetches it when pressed (a page of
 * unknown voices would otherwise download them all), then the browser's audio controls.
 */
export function VoiceSample({ src, label }: { src: string; label: string }) {
  const [state, setState] = useState<'idle' | 'loading' | 'failed' | { url: string }>('idle');
  useEffect(
    () => () => {
      if (typeof state === 'object') URL.revokeObjectURL(state.url);
    },
    [state],
  );
  if (typeof state === 'object')
    // biome-ignore lint/a11y/useMediaCaption: a voice sample of an unknown speaker has no captions to offer
    return <audio src={state.url} controls autoPlay aria-label={label} className="voice-sample" />;
  const play = () => {
    setState('loading');
    fetchBlobUrl(src).then(
      (url) => setState({ url }),
      () => setState('failed'),
    );
  };
  return (
    <>
      <button type="button" onClick={play} disabled={state === 'loading'} aria-label={`Play ${label}`}>
        ▶ Play
      </button>
      {state === 'failed' && <span className="error"> Could not load the recording.</span>}
    </>
  );
}

/** Text input that reports its value after the user pauses typing. */
export function useDebounced<T>(value: T, ms = 300): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

/**
 * The page's main heading and the document title. After navigating inside the app, focus moves
 * to the heading, so screen readers announce the new page and Tab continues from there.
 */
export function PageTitle({ children }: { children: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  // React Router's first location is 'default': a fresh load keeps the browser's own focus order.
  const { key } = useLocation();
  useEffect(() => {
    document.title = `${children} · Rapport`;
    if (key !== 'default') ref.current?.focus();
  }, [children, key]);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

export const label = (value: string) => value.charAt(0) + value.slice(1).toLowerCase().replaceAll('_', ' ');

export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  return new Date(value).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatDay(value: string | null | undefined): string {
  if (!value) return '—';
  return new Date(`${value.slice(0, 10)}T00:00:00`).toLocaleDateString(undefined, { dateStyle: 'medium' });
}

export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{label(status)}</span>;
}
