import { Navigate, NavLink, Outlet, Route, Routes, useLocation, useNavigate } from 'react-router';
import { EventsProvider } from './api/events';
import { useAuth } from './auth';
import { AdminPage } from './pages/Admin';
import { CallDetailPage } from './pages/CallDetail';
import { CallsPage } from './pages/Calls';
import { DigestPage } from './pages/Digest';
import { LiveCallPage } from './pages/LiveCall';
import { LoginPage, SignupPage } from './pages/Login';
import { NewCallPage } from './pages/NewCall';
import { PeoplePage } from './pages/People';
import { PersonDetailPage } from './pages/PersonDetail';
import { PersonFormPage } from './pages/PersonForm';
import { UnknownPage } from './pages/Unknown';

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/signup" element={<SignupPage />} />
      <Route element={<SignedIn />}>
        <Route index element={<Navigate to="/people" replace />} />
        <Route path="people" element={<PeoplePage />} />
        <Route path="people/new" element={<PersonFormPage />} />
        <Route path="people/:id" element={<PersonDetailPage />} />
        <Route path="people/:id/edit" element={<PersonFormPage />} />
        <Route path="calls" element={<CallsPage />} />
        <Route path="calls/new" element={<NewCallPage />} />
        <Route path="calls/:id" element={<CallDetailPage />} />
        <Route path="unknown" element={<UnknownPage />} />
        <Route path="digest" element={<DigestPage />} />
        <Route path="live" element={<LiveCallPage />} />
        <Route path="admin" element={<AdminPage />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}

/** The signed-in shell: navigation, the event stream, and the page. Signed out: the login page. */
function SignedIn() {
  const { token, user, loading, signOut } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  if (!token) return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  if (loading || !user) return <p className="loading">Loading…</p>;
  return (
    <EventsProvider token={token}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/people" className="brand">
          Rapport
        </NavLink>
        <nav aria-label="Main">
          <NavLink to="/people">People</NavLink>
          <NavLink to="/calls">Calls</NavLink>
          <NavLink to="/unknown">Unknown people</NavLink>
          <NavLink to="/digest">Digest</NavLink>
          <NavLink to="/live">Live call</NavLink>
          {user.is_staff && <NavLink to="/admin">Admin</NavLink>}
        </nav>
        <div className="account">
          <span className="username">{user.username}</span>
          <button
            type="button"
            onClick={async () => {
              await signOut();
              navigate('/login');
            }}
          >
            Log out
          </button>
        </div>
      </header>
      <main id="main">
        <Outlet />
      </main>
    </EventsProvider>
  );
}

function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <NavLink to="/people">Back to people</NavLink>
      </p>
    </>
  );
}
