/** The roles of Kosh's users, from least to most privileged. */
export const ROLES = ['customer', 'auditor', 'admin', 'super_admin'] as const;
export type Role = (typeof ROLES)[number];

/** Staff roles that may read every customer's data. */
export const STAFF_ROLES: readonly Role[] = ['auditor', 'admin', 'super_admin'];
/** Roles that may change what they manage (auditors only read). */
export const MANAGER_ROLES: readonly Role[] = ['admin', 'super_admin'];

export function isStaff(role: Role): boolean {
  return STAFF_ROLES.includes(role);
}

export function isManager(role: Role): boolean {
  return MANAGER_ROLES.includes(role);
}
