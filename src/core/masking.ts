/**
 * Masking of personal and account data for people who are not its owner: staff lists, other
 * customers' accounts (beneficiaries). Pure functions. A masked value keeps just enough to
 * recognize it (the last digits of a number, the start of a name and the domain of an address)
 * and never reveals the length of what it hides where that would help guessing.
 */

const HIDDEN = '***';

/** `XXXX1234`: the last four digits of an account number (any length). */
export function maskAccountNumber(number: string): string {
  const digits = number.replace(/[\s-]/g, '');
  return `XXXX${digits.length > 4 ? digits.slice(-4) : ''}`;
}

/** Keeps the first `kept` characters of a name part (fewer for short parts) and hides the rest. */
function maskHandle(handle: string, kept: number): string {
  const characters = [...handle];
  // A short handle keeps at most half of itself, so that "jo" does not stay whole.
  const shown = Math.max(1, Math.min(kept, Math.floor(characters.length / 2)));
  return `${characters.slice(0, shown).join('')}${HIDDEN}`;
}

/** `joh***@gmail.com`: the first three characters of the local part and the whole domain. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return HIDDEN;
  return `${maskHandle(email.slice(0, at), 3)}${email.slice(at)}`;
}

/**
 * `98XXXXXX10`: the first two and last two digits. An Indian number (+91) is shown in its
 * 10-digit national form; another country's number keeps its `+` and leading digits.
 */
export function maskPhone(phone: string): string {
  const compact = phone.replace(/[\s\-().]/g, '');
  const indian = /^\+91([6-9][0-9]{9})$/.exec(compact);
  const digits = indian?.[1] ?? compact.replace(/^\+/, '');
  if (!/^[0-9]{5,}$/.test(digits)) return 'XXXXXXXXXX';
  const masked = `${digits.slice(0, 2)}${'X'.repeat(digits.length - 4)}${digits.slice(-2)}`;
  return indian === null && compact.startsWith('+') ? `+${masked}` : masked;
}

/** `jo***@upi`: the first two characters of the handle and the provider's handle. */
export function maskUpiId(upiId: string): string {
  const at = upiId.lastIndexOf('@');
  if (at <= 0) return HIDDEN;
  return `${maskHandle(upiId.slice(0, at), 2)}${upiId.slice(at)}`;
}

/** `1990-XX-XX`: the year of a date of birth (enough to tell an adult), not the day. */
export function maskDateOfBirth(date: string): string {
  return /^[0-9]{4}-/.test(date) ? `${date.slice(0, 4)}-XX-XX` : 'XXXX-XX-XX';
}
