/** Calendar days as the API wants them (YYYY-MM-DD) and timestamps as people read them (en-IN). */
export function isoDay(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function firstOfMonth(date: Date = new Date()): string {
  return isoDay(new Date(date.getFullYear(), date.getMonth(), 1));
}

export function today(): string {
  return isoDay(new Date());
}

export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat('en-IN', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function formatDate(iso: string): string {
  return new Intl.DateTimeFormat('en-IN', { dateStyle: 'medium' }).format(new Date(iso));
}
