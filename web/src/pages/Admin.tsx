import { useState } from 'react';
import { patch, post, query } from '../api/client';
import type { AdminUser, Page } from '../api/types';
import { useAuth } from '../auth';
import { FormErrors, formatDate, Pager, PageTitle, useApi, useDebounced } from '../components/common';

const PAGE_SIZE = 50;

export function AdminPage() {
  const { user } = useAuth();
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const [version, setVersion] = useState(0);
  const [actionError, setActionError] = useState<unknown>();
  const [message, setMessage] = useState('');
  const debounced = useDebounced(search);
  const { data, error } = useApi<Page<AdminUser>>(
    user?.is_staff
      ? `/api/admin/users/${query({ search: debounced, page: page > 1 ? page : undefined, page_size: PAGE_SIZE })}`
      : null,
    version,
  );
  if (!user?.is_staff) {
    return (
      <>
        <PageTitle>Admin</PageTitle>
        <p>Only staff accounts can manage users.</p>
      </>
    );
  }

  async function act(action: () => Promise<unknown>, done: string) {
    try {
      await action();
      setActionError(undefined);
      setMessage(done);
      setVersion((v) => v + 1);
    } catch (err) {
      setActionError(err);
    }
  }

  return (
    <>
      <PageTitle>Users</PageTitle>
      <search className="filters" aria-label="Find users">
        <label>
          Search
          <input
            type="search"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              setPage(1);
            }}
            placeholder="Username, email, name"
          />
        </label>
      </search>
      <FormErrors error={error ?? actionError} />
      {message && (
        <p className="success" role="status">
          {message}
        </p>
      )}
      {data && (
        <>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Email</th>
                  <th scope="col">Joined</th>
                  <th scope="col">Last login</th>
                  <th scope="col">Signed in on</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.results.map((u) => (
                  <tr key={u.id}>
                    <td>
                      {u.username}
                      {u.is_staff && <span className="badge">staff</span>}
                    </td>
                    <td>{u.email}</td>
                    <td>{formatDate(u.date_joined)}</td>
                    <td>{formatDate(u.last_login)}</td>
                    <td>
                      {u.tokens_count} {u.tokens_count === 1 ? 'device' : 'devices'}
                    </td>
                    <td>{u.is_active ? 'Active' : 'Deactivated'}</td>
                    <td className="actions">
                      {u.id !== user.id && (
                        <button
                          type="button"
                          aria-label={`${u.is_active ? 'Deactivate' : 'Reactivate'} ${u.username}`}
                          onClick={() =>
                            act(
                              () => patch(`/api/admin/users/${u.id}/`, { is_active: !u.is_active }),
                              `${u.username} ${u.is_active ? 'deactivated' : 'reactivated'}.`,
                            )
                          }
                        >
                          {u.is_active ? 'Deactivate' : 'Reactivate'}
                        </button>
                      )}
                      <button
                        type="button"
                        aria-label={`Sign ${u.username} out everywhere`}
                        disabled={u.id === user.id}
                        onClick={() =>
                          act(
                            () => post(`/api/admin/users/${u.id}/reset-tokens/`),
                            `${u.username} is signed out everywhere.`,
                          )
                        }
                      >
                        Reset tokens
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} count={data.count} pageSize={PAGE_SIZE} onPage={setPage} />
        </>
      )}
    </>
  );
}
