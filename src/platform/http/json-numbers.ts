/**
 * JSON numbers are parsed into doubles, which keep about 15 significant decimal digits: a number
 * written with more digits (10.0000000000000001) silently becomes another number (10). For a bank
 * that is an amount the customer did not write, so a JSON body holding a number with more than 15
 * significant digits is refused, with the advice to send the value as a string.
 */
export const SIGNIFICANT_DIGITS_MAX = 15;

/** Returns the first number token of a JSON text that has too many significant digits, if any. */
export function findImpreciseNumber(json: string): string | undefined {
  let inString = false;
  for (let index = 0; index < json.length; index += 1) {
    const character = json[index];
    if (inString) {
      if (character === '\\') index += 1;
      else if (character === '"') inString = false;
      continue;
    }
    if (character === '"') {
      inString = true;
      continue;
    }
    if (character === '-' || (character !== undefined && character >= '0' && character <= '9')) {
      let end = index + 1;
      while (end < json.length && /[0-9.eE+-]/.test(json[end] ?? '')) end += 1;
      const token = json.slice(index, end);
      const mantissa = token.replace(/^-/, '').split(/[eE]/)[0] ?? '';
      const significant = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
      if (significant.length > SIGNIFICANT_DIGITS_MAX) return token;
      index = end - 1;
    }
  }
  return undefined;
}
