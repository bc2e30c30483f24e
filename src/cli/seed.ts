/**
 * Demo data: customers arjun (Savings and Checking, ₹50,000 in all), priya (Savings, ₹25,000) and
 * rahul (Wallet, ₹0), plus an admin and an auditor, all with the demo password. The customers' KYC
 * is verified (a recorded decision of the system), so they get the ordinary limits. Opening
 * balances are real deposit entries, so the books balance from the first moment.
 */
import { openAccount } from '../modules/accounts/index.js';
import { SYSTEM_ACTOR } from '../modules/audit/index.js';
import { countUsers, registerUser, setKycStatus } from '../modules/identity/index.js';
import { deposit } from '../modules/payments/index.js';
import type { Role } from '../core/roles.js';
import type { AppContext } from '../platform/context.js';

export const DEMO_PASSWORD = 'kosh-demo-2026';

interface DemoUser {
  username: string;
  fullName: string;
  email: string;
  phone?: string;
  role: Role;
  accounts: { type: 'savings' | 'checking' | 'wallet'; nickname: string; deposit: string | null }[];
}

const DEMO_USERS: DemoUser[] = [
  {
    username: 'arjun',
    fullName: 'Arjun Sharma',
    email: 'arjun@example.in',
    phone: '+919876543210',
    role: 'customer',
    accounts: [
      { type: 'savings', nickname: 'Arjun Savings', deposit: '35000.00' },
      { type: 'checking', nickname: 'Arjun Checking', deposit: '15000.00' },
    ],
  },
  {
    username: 'priya',
    fullName: 'Priya Patel',
    email: 'priya@example.in',
    phone: '+919812345678',
    role: 'customer',
    accounts: [{ type: 'savings', nickname: 'Priya Savings', deposit: '25000.00' }],
  },
  {
    username: 'rahul',
    fullName: 'Rahul Verma',
    email: 'rahul@example.in',
    role: 'customer',
    accounts: [{ type: 'wallet', nickname: 'Rahul Wallet', deposit: null }],
  },
  { username: 'admin', fullName: 'Kosh Administrator', email: 'admin@kosh.example', role: 'super_admin', accounts: [] },
  { username: 'auditor', fullName: 'Kosh Auditor', email: 'auditor@kosh.example', role: 'auditor', accounts: [] },
];

/** Loads the demo data into an empty database; returns false (and changes nothing) otherwise. */
export async function seedDemoData(context: AppContext): Promise<boolean> {
  if ((await countUsers(context.db)) > 0) return false;
  for (const demo of DEMO_USERS) {
    const user = await registerUser(context, {
      username: demo.username,
      password: DEMO_PASSWORD,
      email: demo.email,
      fullName: demo.fullName,
      phone: demo.phone,
      role: demo.role,
    });
    if (demo.role === 'customer') {
      await setKycStatus(context, SYSTEM_ACTOR, { userId: user.id, status: 'verified', reason: 'Demo customer' });
    }
    const principal = { userId: user.id, role: user.role, sessionId: 'seed' };
    for (const spec of demo.accounts) {
      const account = await openAccount(context, principal, { type: spec.type, nickname: spec.nickname });
      const amount = spec.deposit;
      if (amount !== null) {
        await deposit(context, principal, { accountId: account.record.id, amount, description: 'Opening deposit' });
      }
    }
  }
  return true;
}
