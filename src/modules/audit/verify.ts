/**
 * Verifying the audit chain. The verifier reads the rows in order, a page at a time, with each
 * row's canonical text built by its own query (the same JSON array text as the database's
 * audit_canonical() and as canonicalRow below), hashes in Node, and checks that
 * - sequence numbers have no gaps (a deleted row shows as a gap),
 * - each hash is SHA-256(hash of the row before || canonical row) (the first row's predecessor is
 *   32 zero bytes); on a mismatch it tells an edited row from a broken link (prev_hash),
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

/** A row's fields rendered as text, in canonical order. */
export interface RenderedRow {
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
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The canonical text of a row: a JSON array of its fields as text, as PostgreSQL's json_build_array writes it. */
export function canonicalRow(row: RenderedRow): string {
  const fields = [
    row.seq, row.id, row.occurred_at, row.actor_id, row.actor_role, row.action, row.target_type, row.target_id,
    row.before, row.after, row.ip, row.user_agent, row.request_id,
  ];
  let text = '[';
  for (let index = 0; index < fields.length; index += 1) {
    const field = fields[index] as string | null;
    if (index > 0) text += ', ';
    // Most fields need no escaping; JSON.stringify handles the rest exactly as PostgreSQL does.
    text += field === null ? 'null' : NEEDS_ESCAPE.test(field) ? JSON.stringify(field) : `"${field}"`;
  }
  return `${text}]`;
}

export function chainHash(previousHashHex: string, canonical: string): string {
  return createHash('sha256').update(previousHashHex, 'hex').update(canonical, 'utf8').digest('hex');
}

export interface ChainRow {
  seq: string;
  canonical: string;
  hash: string;
}

/**
 * A page of rows as (seq, canonical text, hash). The canonical text is built here, by the
 * verifier's own expression (the same as canonicalRow), not by the audit_canonical() function the
 * insert trigger uses, so a replaced function cannot hide an edit.
 */
export async function readChainPage(db: Db, afterSeq: string): Promise<ChainRow[]> {
  const result = await sql<ChainRow>`
    select a.seq::text as seq,
           json_build_array(
             a.seq::text, a.id::text, to_char(a.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
             a.actor_id::text, a.actor_role, a.action, a.target_type, a.target_id, a.before::text, a.after::text,
             a.ip, a.user_agent, a.request_id)::text as canonical,
           encode(a.hash, 'hex') as hash
      from audit_log a where a.seq > ${afterSeq}::int8 order by a.seq limit ${PAGE_SIZE}`.execute(db);
  return result.rows;
}

/** Why a row's hash does not follow: its recorded previous hash differs, or the row itself changed. */
async function mismatchOf(db: Db, seq: string, previousHash: string): Promise<ChainProblem> {
  const { rows } = await sql<{ prev_hash: string }>`
    select encode(prev_hash, 'hex') as prev_hash from audit_log where seq = ${seq}::int8`.execute(db);
  return rows[0]?.prev_hash === previousHash ? 'hash_mismatch' : 'previous_hash_mismatch';
}

/** Waits for a read still in flight (its result is not needed) before answering. */
async function settle<T>(pending: Promise<unknown>, answer: T): Promise<T> {
  await pending.catch(() => undefined);
  return answer;
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
  // The next page is read while this one is hashed, so the database and Node work at once.
  let pending = last > 0n ? readChainPage(db, '0') : Promise.resolve([]);
  while (expectedSeq <= last) {
    const rows = await pending;
    if (rows.length === 0) break;
    const lastRow = rows[rows.length - 1] as ChainRow;
    pending = rows.length === PAGE_SIZE && BigInt(lastRow.seq) < last ? readChainPage(db, lastRow.seq) : Promise.resolve([]);
    for (const row of rows) {
      const seq = BigInt(row.seq);
      if (seq > last) break;
      if (seq !== expectedSeq) return settle(pending, broken(expectedSeq, 'sequence_gap'));
      if (chainHash(previousHash, row.canonical) !== row.hash) {
        return settle(pending, broken(seq, await mismatchOf(db, row.seq, previousHash)));
      }
      previousHash = row.hash;
      expectedSeq += 1n;
      rowsChecked += 1;
    }
  }
  if (expectedSeq - 1n !== last) return broken(expectedSeq, 'sequence_gap');
  if (previousHash !== headHash) return broken(last, 'head_mismatch');
  return { valid: true, rowsChecked, headSeq, headHash };
}
