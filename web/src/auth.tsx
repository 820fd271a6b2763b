import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { get, getToken, post, setToken, setUnauthorizedHandler } from './api/client';
import type { User } from './api/types';

type Auth = {
  token: string | null;
  user: User | null;
  /** True until the stored token has been checked against `me/`. */
  loading: boolean;
  signIn(token: string, user: User): void;
  signOut(): Promise<void>;
};

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setTokenState] = useState<string | null>(getToken());
  const [user, setUser] = useState<User | null>(null);
  const [loading, setLoading] = useState<boolean>(getToken() !== null);

  const forget = useCallback(() => {
    setToken(null);
    setTokenState(null);
    setUser(null);
  }, []);

  useEffect(() => {
    // Any 401 (revoked token, deactivated account): back to the login page.
    setUnauthorizedHandler(forget);
  }, [forget]);

  useEffect(() => {
    if (!token || user) {
      setLoading(false);
      return;
    }
    let cancelled = false;
    get<User>('/api/auth/users/me/')
      .then((me) => {
        if (!cancelled) setUser(me);
      })
      .catch(() => {
        if (!cancelled) forget();
      })
      .finally(() => {
        if (!cancelled) setLoading(false);
      });
    return () => {
      cancelled = true;
    };
  }, [token, user, forget]);

  const value = useMemo<Auth>(
    () => ({
      token,
      user,
      loading,
      signIn(newToken, newUser) {
        setToken(newToken);
        setTokenState(newToken);
        setUser(newUser);
      },
      async signOut() {
        try {
          await post('/api/auth/users/logout/');
        } finally {
          forget();
        }
      },
    }),
    [token, user, loading, forget],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}
