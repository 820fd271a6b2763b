import { badRequest, nonFieldError, unauthorized } from '../../infra/http/errors.js';
import type { LoginThrottle } from './login-throttle.js';
import { dummyPasswordHash, hashPassword, passwordProblems, verifyPassword } from './passwords.js';
import type { UserRow, UsersRepository } from './repository.js';
import type { ChangePasswordBody, RegisterBody, UpdateMeBody, UserOut } from './schemas.js';
import { generateTokenKey, hashTokenKey } from './tokens.js';

export function toUserOut(user: UserRow): UserOut {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    date_joined: user.dateJoined.toISOString(),
    is_staff: user.isStaff,
  };
}

export type Session = { user: UserRow; token: string };

export class UsersService {
  constructor(
    private readonly repo: UsersRepository,
    private readonly throttle: LoginThrottle,
  ) {}

  /** Creates a user; used by registration and by `rapport createuser`. */
  async createUser(input: {
    username: string;
    email: string;
    password: string;
    firstName?: string | undefined;
    lastName?: string | undefined;
    isStaff?: boolean;
  }): Promise<UserRow> {
    const errors: Record<string, string[]> = {};
    if (await this.repo.findByUsername(input.username)) {
      errors.username = ['A user with that username already exists.'];
    }
    const problems = passwordProblems(input.password, {
      username: input.username,
      'email address': input.email,
      'first name': input.firstName,
      'last name': input.lastName,
    });
    if (problems.length > 0) errors.password = problems;
    if (Object.keys(errors).length > 0) throw badRequest(errors);
    try {
      return await this.repo.create({
        username: input.username,
        email: input.email,
        passwordHash: await hashPassword(input.password),
        firstName: input.firstName ?? '',
        lastName: input.lastName ?? '',
        isStaff: input.isStaff ?? false,
      });
    } catch (error) {
      // Two registrations racing for one name: the unique index decides.
      if (isUniqueViolation(error))
        throw badRequest({ username: ['A user with that username already exists.'] });
      throw error;
    }
  }

  async register(body: RegisterBody, userAgent: string): Promise<Session> {
    if (body.password !== body.password_confirm) {
      throw badRequest({ password_confirm: ["The two password fields didn't match."] });
    }
    const user = await this.createUser({
      username: body.username,
      email: body.email,
      password: body.password,
      firstName: body.first_name,
      lastName: body.last_name,
    });
    return { user, token: await this.issueToken(user, userAgent) };
  }

  async login(username: string, password: string, ip: string, userAgent: string): Promise<Session> {
    await this.throttle.check(username, ip);
    const user = await this.repo.findByUsername(username);
    // Verify against a dummy hash for unknown users so response time does not reveal who exists.
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), password);
    if (!user || !ok || !user.isActive) {
      await this.throttle.recordFailure(username, ip);
      throw nonFieldError('Unable to log in with provided credentials.');
    }
    await this.throttle.recordSuccess(username);
    const updated = await this.repo.update(user.id, { lastLogin: new Date() });
    return { user: updated, token: await this.issueToken(updated, userAgent) };
  }

  private async issueToken(user: UserRow, userAgent: string): Promise<string> {
    const key = generateTokenKey();
    await this.repo.createToken(user.id, hashTokenKey(key), userAgent);
    return key;
  }

  async authenticate(key: string): Promise<UserRow> {
    const user = await this.repo.findUserByTokenHash(hashTokenKey(key));
    if (!user) throw unauthorized('Invalid token.');
    if (!user.isActive) throw unauthorized('User inactive or deleted.');
    return user;
  }

  /** The user a signed link was made for, if they are still active. */
  async authenticateUserId(id: number): Promise<UserRow> {
    const user = await this.repo.findById(id);
    if (!user?.isActive) throw unauthorized('User inactive or deleted.');
    return user;
  }

  async logout(key: string): Promise<void> {
    await this.repo.deleteToken(hashTokenKey(key));
  }

  async updateMe(user: UserRow, body: UpdateMeBody): Promise<UserRow> {
    const values = {
      ...(body.first_name !== undefined && { firstName: body.first_name }),
      ...(body.last_name !== undefined && { lastName: body.last_name }),
      ...(body.email !== undefined && { email: body.email }),
    };
    // Nothing writable in the body (e.g. `{}` or only read-only fields): an UPDATE with an empty
    // SET is an error in Drizzle, and there is nothing to change anyway.
    if (Object.keys(values).length === 0) return user;
    return this.repo.update(user.id, values);
  }

  /** Changes the password and signs out every other device; the calling token keeps working. */
  async changePassword(user: UserRow, currentKey: string, body: ChangePasswordBody): Promise<void> {
    if (!(await verifyPassword(user.passwordHash, body.current_password))) {
      throw badRequest({
        current_password: ['Your old password was entered incorrectly. Please enter it again.'],
      });
    }
    if (body.new_password_confirm !== undefined && body.new_password_confirm !== body.new_password) {
      throw badRequest({ new_password_confirm: ["The two password fields didn't match."] });
    }
    const problems = passwordProblems(body.new_password, {
      username: user.username,
      'email address': user.email,
      'first name': user.firstName,
      'last name': user.lastName,
    });
    if (problems.length > 0) throw badRequest({ new_password: problems });
    await this.repo.update(user.id, { passwordHash: await hashPassword(body.new_password) });
    await this.repo.deleteOtherTokens(user.id, hashTokenKey(currentKey));
  }

  async findByUsername(username: string): Promise<UserRow | undefined> {
    return this.repo.findByUsername(username);
  }

  async setPassword(user: UserRow, password: string): Promise<void> {
    await this.repo.update(user.id, { passwordHash: await hashPassword(password) });
  }
}

export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } };
  return e?.code === '23505' || e?.cause?.code === '23505';
}
