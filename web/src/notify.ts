/**
 * Toasts and the notification center: every toast is also kept (the latest 50) so the bell in the
 * header can list what happened, with unread ones counted.
 */
import { notifications } from '@mantine/notifications';
import { useSyncExternalStore } from 'react';
import { problemWords } from './api/problem';

export interface AppNotification {
  readonly id: number;
  readonly title: string;
  readonly message: string;
  readonly color: 'green' | 'red' | 'blue' | 'yellow';
  readonly at: Date;
  readonly read: boolean;
}

let items: AppNotification[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((listener) => listener());

export function notify(options: { title: string; message: string; color?: AppNotification['color'] }): void {
  const color = options.color ?? 'blue';
  notifications.show({ title: options.title, message: options.message, color, autoClose: color === 'red' ? 8000 : 4000 });
  items = [{ id: nextId++, title: options.title, message: options.message, color, at: new Date(), read: false }, ...items].slice(0, 50);
  emit();
}

export function notifySuccess(title: string, message: string): void {
  notify({ title, message, color: 'green' });
}

/** A toast with an API error in plain words. */
export function notifyError(error: unknown): void {
  const words = problemWords(error);
  notify({ title: words.title, message: words.message, color: 'red' });
}

export function markAllRead(): void {
  items = items.map((item) => ({ ...item, read: true }));
  emit();
}

export function clearNotifications(): void {
  items = [];
  emit();
}

export function useNotificationCenter(): readonly AppNotification[] {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    () => items,
  );
}
