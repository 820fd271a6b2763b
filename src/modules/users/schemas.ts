import { z } from 'zod';

const username = z
  .string()
  .trim()
  .min(1)
  .max(150)
  .regex(
    /^[\p{L}\p{N}_.@+-]+$/u,
    'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
  );
// Not trimmed (spaces are part of a password), but blank is refused before any check, as in DRF.
const password = z.string().min(1).max(1024);
const name = z.string().trim().max(150);
const email = z.string().trim().max(254).pipe(z.email());

export const registerBody = z.object({
  username,
  email,
  password,
  password_confirm: password,
  first_name: name.optional(),
  last_name: name.optional(),
});

export const loginBody = z.object({ username: z.string().min(1).max(150), password });

export const updateMeBody = z.object({
  first_name: name.optional(),
  last_name: name.optional(),
  email: email.optional(),
});

export const changePasswordBody = z.object({
  current_password: password,
  new_password: password,
  new_password_confirm: password.optional(),
});

export const userOut = z.object({
  id: z.number().int(),
  username: z.string(),
  email: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  date_joined: z.string(),
  is_staff: z.boolean(),
});

export const authOut = z.object({ user: userOut, token: z.string() });

export type RegisterBody = z.infer<typeof registerBody>;
export type UpdateMeBody = z.infer<typeof updateMeBody>;
export type ChangePasswordBody = z.infer<typeof changePasswordBody>;
export type UserOut = z.infer<typeof userOut>;
