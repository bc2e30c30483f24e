/**
 * Verifying the audit chain. The verifier reads the rows in order, a page at a time, rebuilds each
 * row's canonical text itself (the same JSON array text as the database's audit_canonical()) and
 * checks that
 * - sequence numbers have no gaps (a deleted row shows as a gap),
 * - each row's prev_hash is the hash of the row before it (the first row's is 32 zero bytes),
 * - each hash is SHA-256(prev_hash || canonical row),
 * - the chain head names the last row and its hash (a deleted tail shows there).
 * It names the first broken link. An attacker able to rewrite every row and the head can forge a
 * consistent chain; publishing the head hash elsewhere (it is in the verify answer) detects that.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';

export type ChainProblem = 'sequence_gap' | 'previous_hash_mismatch' | 'hash_mismatch' | 'head_mismatch';

export interface ChainReport {
  readonly valid: boolean;
  readonly rowsChecked: number;
  readonly headSeq: string;
  readonly headHash: string;
  readonly firstBroken?: { readonly seq: string; readonly problem: ChainProblem } | undefined;
}

const GENESIS_HASH = '0'.repeat(64);
const PAGE_SIZE = 20_000;

interface RenderedRow {
  seq: string;
  id: string;
  occurred_at: string;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  target_type: string;
  target_id: string;
  before: string | null;
  after: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

/** The canonical text of a row: a JSON array of its fields as text, as PostgreSQL's json_build_array writes it. */
export function canonicalRow(row: Omit<RenderedRow, 'prev_hash' | 'hash'>): string {
  const fields = [
    row.seq, row.id, row.occurred_at, row.actor_id, row.actor_role, row.action, row.target_type, row.target_id,
    row.before, row.after, row.ip, row.user_agent, row.request_id,
  ];
  return `[${fields.map((field) => (field === null ? 'null' : JSON.stringify(field))).join(', ')}]`;
}

export function chainHash(previousHashHex: string, canonical: string): string {
  return createHash('sha256').update(Buffer.from(previousHashHex, 'hex')).update(canonical, 'utf8').digest('hex');
}

async function page(db: Db, afterSeq: string): Promise<RenderedRow[]> {
  const result = await sql<RenderedRow>`
    select seq::text as seq, id::text as id,
           to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as occurred_at,
           actor_id::text as actor_id, actor_role, action, target_type, target_id, before::text as before, after::text as after,
           ip, user_agent, request_id, encode(prev_hash, 'hex') as prev_hash, encode(hash, 'hex') as hash
      from audit_log where audit_log.seq > ${afterSeq}::int8 order by audit_log.seq limit ${PAGE_SIZE}`.execute(db);
  return result.rows;
}

/** Walks the whole chain and reports its state (read-only; safe while rows are being appended). */
export async function verifyAuditChain(db: Db): Promise<ChainReport> {
  // The head is read first: rows appended during the walk are beyond it and not judged.
  const head = (await sql<{ last_seq: string; last_hash: string }>`
    select last_seq::text as last_seq, encode(last_hash, 'hex') as last_hash from audit_chain_head`.execute(db)).rows[0];
  const headSeq = head?.last_seq ?? '0';
  const headHash = head?.last_hash ?? GENESIS_HASH;
  let expectedSeq = 1n;
  let previousHash = GENESIS_HASH;
  let rowsChecked = 0;
  const broken = (seq: bigint | string, problem: ChainProblem): ChainReport => ({
    valid: false, rowsChecked, headSeq, headHash, firstBroken: { seq: String(seq), problem },
  });
  const last = BigInt(headSeq);
  while (expectedSeq <= last) {
    const rows = await page(db, String(expectedSeq - 1n));
    if (rows.length === 0) break;
    for (const row of rows) {
      const seq = BigInt(row.seq);
      if (seq > last) return { valid: true, rowsChecked, headSeq, headHash };
      if (seq !== expectedSeq) return broken(expectedSeq, 'sequence_gap');
      if (row.prev_hash !== previousHash) return broken(seq, 'previous_hash_mismatch');
      if (chainHash(row.prev_hash, canonicalRow(row)) !== row.hash) return broken(seq, 'hash_mismatch');
      previousHash = row.hash;
      expectedSeq += 1n;
      rowsChecked += 1;
    }
  }
  if (expectedSeq - 1n !== last) return broken(expectedSeq, 'sequence_gap');
  if (previousHash !== headHash) return broken(last, 'head_mismatch');
  return { valid: true, rowsChecked, headSeq, headHash };
}
