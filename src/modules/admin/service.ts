import { forbidden, nonFieldError, notFound } from '../../infra/http/errors.js';
import type { PageRequest } from '../../infra/http/pagination.js';
import type { UserRow } from '../users/repository.js';
import type { AdminRepository, AdminUserFilters, AdminUserRow } from './repository.js';
import type { AdminUserPatchBody } from './schemas.js';

/** What the seed's admin panel was used for: see accounts, deactivate them, sign them out. Staff only. */
export class AdminService {
  constructor(private readonly repo: AdminRepository) {}

  private requireStaff(actor: UserRow): void {
    if (!actor.isStaff) throw forbidden();
  }

  async listUsers(actor: UserRow, filters: AdminUserFilters, page: PageRequest) {
    this.requireStaff(actor);
    return this.repo.listUsers(filters, page);
  }

  async getUser(actor: UserRow, id: number): Promise<AdminUserRow> {
    this.requireStaff(actor);
    const user = await this.repo.findUser(id);
    if (!user) throw notFound();
    return user;
  }

  async updateUser(actor: UserRow, id: number, body: AdminUserPatchBody): Promise<AdminUserRow> {
    await this.getUser(actor, id);
    // Staff cannot lock themselves out: another staff member has to do it.
    if (id === actor.id && (body.is_active === false || body.is_staff === false)) {
      throw nonFieldError('You cannot deactivate your own account or remove your own staff status.');
    }
    const values = {
      ...(body.is_active !== undefined && { isActive: body.is_active }),
      ...(body.is_staff !== undefined && { isStaff: body.is_staff }),
    };
    if (Object.keys(values).length > 0) await this.repo.updateUser(id, values);
    return this.getUser(actor, id);
  }

  async resetTokens(actor: UserRow, id: number): Promise<number> {
    await this.getUser(actor, id);
    return this.repo.deleteTokens(id);
  }
}
