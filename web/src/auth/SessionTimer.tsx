/**
 * Keeps the session alive while the user is active and ends it cleanly when they are not: a
 * minute before the access cookie expires, an active user's session is refreshed silently; an idle
 * user sees a warning with a countdown and can stay signed in or sign out. At expiry without an
 * answer, the app signs out and says why.
 */
import { Button, Group, Modal, Progress, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import { refreshSession } from '../api/client';
import { useAuth } from './AuthProvider';
import { session } from './session-store';

const WARN_BEFORE_MS = 60_000;
const ACTIVE_WITHIN_MS = 120_000;

export function SessionTimer() {
  const { user, signOut } = useAuth();
  const [secondsLeft, setSecondsLeft] = useState<number | undefined>(undefined);

  useEffect(() => {
    if (user === null) return undefined;
    const touch = () => session.touched();
    window.addEventListener('pointerdown', touch);
    window.addEventListener('keydown', touch);
    const timer = window.setInterval(() => {
      const expiry = session.expiry();
      if (expiry === undefined) return;
      const left = expiry.accessExpiresAt - Date.now();
      if (left > WARN_BEFORE_MS) {
        setSecondsLeft(undefined);
        return;
      }
      if (Date.now() - session.lastActivityAt() < ACTIVE_WITHIN_MS && left > 5_000) {
        void refreshSession().then((alive) => {
          if (!alive) session.ended('expired');
        });
        return;
      }
      if (left <= 0) {
        setSecondsLeft(undefined);
        void signOut('idle');
        return;
      }
      setSecondsLeft(Math.ceil(left / 1000));
    }, 1000);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener('pointerdown', touch);
      window.removeEventListener('keydown', touch);
    };
  }, [user, signOut]);

  const stay = async () => {
    const alive = await refreshSession();
    setSecondsLeft(undefined);
    if (!alive) session.ended('expired');
  };

  return (
    <Modal opened={secondsLeft !== undefined} onClose={() => void stay()} title="Your session is about to end" centered>
      <Text mb="sm">
        For your security you will be signed out in <strong data-testid="session-seconds">{secondsLeft}</strong> seconds.
      </Text>
      <Progress value={((secondsLeft ?? 0) / 60) * 100} mb="md" aria-label="Time left" />
      <Group justify="flex-end">
        <Button variant="default" onClick={() => void signOut()}>
          Sign out
        </Button>
        <Button onClick={() => void stay()}>Stay signed in</Button>
      </Group>
    </Modal>
  );
}
