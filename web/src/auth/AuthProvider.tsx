/**
 * The signed-in user and the ways to sign in, register and sign out. The session lives in
 * cookies; on load the app asks /auth/me (refreshing first when the access cookie has expired or
 * its expiry is unknown). When a session ends by itself, the user sees why and lands on sign-in.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { api, csrfToken, refreshSession, unwrap } from '../api/client';
import { ApiError } from '../api/problem';
import { notify } from '../notify';
import { session, type EndReason } from './session-store';

export type User = Awaited<ReturnType<typeof fetchMe>>;
export type Role = 'customer' | 'auditor' | 'admin' | 'super_admin';

async function fetchMe() {
  return unwrap(api.GET('/api/v1/auth/me'));
}

async function loadUser() {
  if (csrfToken() === undefined) return null;
  const expiry = session.expiry();
  if (expiry === undefined || expiry.accessExpiresAt < Date.now() + 5_000) {
    if (!(await refreshSession())) return null;
  }
  try {
    return await fetchMe();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export interface SignInInput {
  readonly username: string;
  readonly password: string;
  readonly otp?: string;
}

export interface RegisterInput {
  readonly username: string;
  readonly password: string;
  readonly email: string;
  readonly full_name: string;
  readonly phone?: string | null;
}

interface AuthValue {
  readonly user: User | null;
  readonly loading: boolean;
  signIn(input: SignInInput): Promise<void>;
  register(input: RegisterInput): Promise<void>;
  signOut(reason?: EndReason): Promise<void>;
}

const AuthContext = createContext<AuthValue | undefined>(undefined);

export function isStaff(role: Role | undefined): boolean {
  return role === 'admin' || role === 'super_admin' || role === 'auditor';
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const me = useQuery({ queryKey: ['me'], queryFn: loadUser, staleTime: Infinity, retry: false });

  useEffect(
    () =>
      session.onEnded((reason) => {
        // The user's data goes; the signed-in user becomes nobody (same query, so its observers see it).
        queryClient.setQueryData(['me'], null);
        queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== 'me' });
        if (reason === 'expired') notify({ title: 'Session ended', message: 'Your session has ended. Sign in again to continue.', color: 'yellow' });
        if (reason === 'idle') notify({ title: 'Signed out', message: 'You were signed out after a period without activity.', color: 'yellow' });
      }),
    [queryClient],
  );

  const signIn = useCallback(
    async (input: SignInInput) => {
      const body = await unwrap(api.POST('/api/v1/auth/login', { body: input }));
      if (!('csrf_token' in body)) throw new Error('The server did not start a cookie session.');
      session.started(body.expires_in, body.refresh_expires_in);
      queryClient.setQueryData(['me'], await fetchMe());
    },
    [queryClient],
  );

  const register = useCallback(
    async (input: RegisterInput) => {
      await unwrap(api.POST('/api/v1/auth/register', { body: input }));
      await signIn({ username: input.username, password: input.password });
    },
    [signIn],
  );

  const signOut = useCallback(async (reason: EndReason = 'signed_out') => {
    try {
      await unwrap(api.POST('/api/v1/auth/logout'));
    } catch {
      // The session may already be over; signing out locally is what matters now.
    }
    session.ended(reason);
  }, []);

  const value = useMemo<AuthValue>(
    () => ({ user: me.data ?? null, loading: me.isPending, signIn, register, signOut }),
    [me.data, me.isPending, signIn, register, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (value === undefined) throw new Error('useAuth outside AuthProvider');
  return value;
}
