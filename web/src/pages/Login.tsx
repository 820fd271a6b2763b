import { type FormEvent, type ReactNode, useState } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { post } from '../api/client';
import type { User } from '../api/types';
import { useAuth } from '../auth';
import { Field, FormErrors, PageTitle } from '../components/common';

type Session = { user: User; token: string };

/**
 * The shape both sign-in pages share: post the form to `endpoint`, keep the session it answers
 * and go back where the user was headed; the API's messages go next to their fields.
 */
function AuthForm({
  title,
  endpoint,
  fields,
  submitLabel,
  footer,
  children,
}: {
  title: string;
  endpoint: string;
  /** The form's fields, whose messages are shown beside them rather than on top. */
  fields: string[];
  submitLabel: string;
  footer: ReactNode;
  children: (error: unknown) => ReactNode;
}) {
  const { token, signIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  if (token) return <Navigate to="/people" replace />;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    try {
      const session = await post<Session>(endpoint, Object.fromEntries(form.entries()));
      signIn(session.token, session.user);
      const from = (location.state as { from?: string } | null)?.from;
      navigate(from && from !== '/login' ? from : '/people', { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <main id="main" className="auth-page">
      <PageTitle>{title}</PageTitle>
      <form onSubmit={submit} className="card form">
        <FormErrors error={error} fields={fields} />
        {children(error)}
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
        <p>{footer}</p>
      </form>
    </main>
  );
}

export function LoginPage() {
  return (
    <AuthForm
      title="Log in"
      endpoint="/api/auth/users/login/"
      fields={['username', 'password']}
      submitLabel="Log in"
      footer={
        <>
          No account yet? <Link to="/signup">Sign up</Link>
        </>
      }
    >
      {(error) => (
        <>
          <Field label="Username" name="username" error={error}>
            {(p) => <input {...p} autoComplete="username" required />}
          </Field>
          <Field label="Password" name="password" error={error}>
            {(p) => <input {...p} type="password" autoComplete="current-password" required />}
          </Field>
        </>
      )}
    </AuthForm>
  );
}

export function SignupPage() {
  return (
    <AuthForm
      title="Sign up"
      endpoint="/api/auth/users/register/"
      fields={['username', 'email', 'password', 'password_confirm', 'first_name', 'last_name']}
      submitLabel="Create account"
      footer={
        <>
          Already have an account? <Link to="/login">Log in</Link>
        </>
      }
    >
      {(error) => (
        <>
          <Field label="Username" name="username" error={error}>
            {(p) => <input {...p} autoComplete="username" required />}
          </Field>
          <Field label="Email" name="email" error={error}>
            {(p) => <input {...p} type="email" autoComplete="email" required />}
          </Field>
          <div className="row">
            <Field label="First name" name="first_name" error={error}>
              {(p) => <input {...p} autoComplete="given-name" />}
            </Field>
            <Field label="Last name" name="last_name" error={error}>
              {(p) => <input {...p} autoComplete="family-name" />}
            </Field>
          </div>
          <Field
            label="Password"
            name="password"
            error={error}
            hint="At least 8 characters, not a common password."
          >
            {(p) => <input {...p} type="password" autoComplete="new-password" required />}
          </Field>
          <Field label="Password again" name="password_confirm" error={error}>
            {(p) => <input {...p} type="password" autoComplete="new-password" required />}
          </Field>
        </>
      )}
    </AuthForm>
  );
}
