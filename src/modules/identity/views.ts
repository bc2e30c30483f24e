import type { User } from './store.js';

/** A user as they see themselves (unmasked): registration, /auth/me and /users/me. */
export function userView(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    full_name: user.fullName,
    phone: user.phone,
    date_of_birth: user.dateOfBirth,
    role: user.role,
    status: user.status,
    kyc_status: user.kycStatus,
    created_at: user.createdAt.toISOString(),
  };
}
