import { type FormEvent, useState } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { post } from '../api/client';
import type { User } from '../api/types';
import { useAuth } from '../auth';
import { Field, FormErrors, PageTitle } from '../components/common';

type Session = { user: User; token: string };

function useAfterSignIn() {
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  return () => navigate(from && from !== '/login' ? from : '/people', { replace: true });
}

export function LoginPage() {
  const { token, signIn } = useAuth();
  const done = useAfterSignIn();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  if (token) return <Navigate to="/people" replace />;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    try {
      const session = await post<Session>('/api/auth/users/login/', {
        username: form.get('username'),
        password: form.get('password'),
      });
      signIn(session.token, session.user);
      done();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <main id="main" className="auth-page">
      <PageTitle>Log in</PageTitle>
      <form onSubmit={submit} className="card form">
        <FormErrors error={error} fields={['username', 'password']} />
        <Field label="Username" name="username" error={error}>
          {(p) => <input {...p} autoComplete="username" required />}
        </Field>
        <Field label="Password" name="password" error={error}>
          {(p) => <input {...p} type="password" autoComplete="current-password" required />}
        </Field>
        <button type="submit" className="primary" disabled={busy}>
          Log in
        </button>
        <p>
          No account yet? <Link to="/signup">Sign up</Link>
        </p>
      </form>
    </main>
  );
}

export function SignupPage() {
  const { token, signIn } = useAuth();
  const done = useAfterSignIn();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  if (token) return <Navigate to="/people" replace />;
  const fields = ['username', 'email', 'password', 'password_confirm', 'first_name', 'last_name'];

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    try {
      const session = await post<Session>('/api/auth/users/register/', Object.fromEntries(form.entries()));
      signIn(session.token, session.user);
      done();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <main id="main" className="auth-page">
      <PageTitle>Sign up</PageTitle>
      <form onSubmit={submit} className="card form">
        <FormErrors error={error} fields={fields} />
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
        <button type="submit" className="primary" disabled={busy}>
          Create account
        </button>
        <p>
          Already have an account? <Link to="/login">Log in</Link>
        </p>
      </form>
    </main>
  );
}
