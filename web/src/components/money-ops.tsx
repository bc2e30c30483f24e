/**
 * Running a confirmed money operation: one idempotency key per confirmation, reused when the same
 * operation is sent again (after a lost connection, or with the PIN the server asked for), so a
 * retry never moves money twice. Above the PIN threshold the server answers 428 pin_required; the
 * user is asked for the PIN and the same operation is sent again with it.
 */
import { Button, Group, Modal, PinInput, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useCallback, useRef, useState, type ReactNode } from 'react';
import { newIdempotencyKey } from '../api/client';
import { useInvalidateMoney } from '../api/hooks';
import { ApiError } from '../api/problem';
import { notifyError } from '../notify';

export type Send<T> = (idempotencyKey: string, pin: string | undefined) => Promise<T>;

export function usePinPrompt(): { element: ReactNode; ask: () => Promise<string | null> } {
  const [opened, setOpened] = useState(false);
  const [pin, setPin] = useState('');
  const resolver = useRef<((value: string | null) => void) | undefined>(undefined);
  const finish = (value: string | null) => {
    resolver.current?.(value);
    resolver.current = undefined;
    setOpened(false);
    setPin('');
  };
  const ask = useCallback(
    () =>
      new Promise<string | null>((resolve) => {
        resolver.current = resolve;
        setOpened(true);
      }),
    [],
  );
  const element = (
    <Modal opened={opened} onClose={() => finish(null)} title="Enter your transaction PIN" centered>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (pin.length >= 4) finish(pin);
        }}
      >
        <Stack>
          <Text size="sm">This amount is above the limit that needs your PIN. Enter your 4 to 6 digit transaction PIN to confirm.</Text>
          <div>
            <Text component="label" htmlFor="transaction-pin" size="sm" fw={500}>
              Transaction PIN
            </Text>
            <PinInput id="transaction-pin" length={6} type="number" mask autoFocus value={pin} onChange={setPin} aria-label="Transaction PIN" />
          </div>
          <Text size="xs" c="dimmed">
            For a 4 or 5 digit PIN, leave the last boxes empty.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => finish(null)}>
              Cancel
            </Button>
            <Button type="submit" disabled={pin.length < 4}>
              Confirm with PIN
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
  return { element, ask };
}

export class Cancelled extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'Cancelled';
  }
}

/** Returns a runner for one confirmed operation, and the PIN prompt to render. */
export function useMoneyOperation(): { pinPrompt: ReactNode; run: <T>(send: Send<T>) => Promise<T> } {
  const { element, ask } = usePinPrompt();
  const run = useCallback(
    async <T,>(send: Send<T>): Promise<T> => {
      const key = newIdempotencyKey();
      let pin: string | undefined;
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await send(key, pin);
        } catch (error) {
          if (!(error instanceof ApiError) || attempt >= 3) throw error;
          if (error.code === 'pin_required' && pin === undefined) {
            const entered = await ask();
            if (entered === null) throw new Cancelled();
            pin = entered;
            continue;
          }
          // A lost answer: the same key either replays the stored result or runs it once.
          if (error.status === 0) continue;
          throw error;
        }
      }
    },
    [ask],
  );
  return { pinPrompt: element, run };
}

/**
 * The review → confirm → result flow of a money operation: the plan the user reviews, sending it
 * once confirmed (with the PIN prompt when asked), the refusal to show in words, and fresh
 * balances afterwards. A cancelled PIN prompt is not a failure.
 */
export function useConfirmedOperation<P, R>(options: { send: (plan: P, idempotencyKey: string, pin: string | undefined) => Promise<R>; onDone: (result: R, plan: P) => void }) {
  const [plan, setPlan] = useState<P | undefined>(undefined);
  const [failure, setFailure] = useState<unknown>(undefined);
  const invalidate = useInvalidateMoney();
  const { pinPrompt, run } = useMoneyOperation();
  const mutation = useMutation({
    mutationFn: (confirmed: P) => run((key, pin) => options.send(confirmed, key, pin)),
    onSuccess: async (result, confirmed) => {
      setPlan(undefined);
      options.onDone(result, confirmed);
      await invalidate();
    },
    onError: (error) => {
      setPlan(undefined);
      if (error instanceof Cancelled) return;
      setFailure(error);
      notifyError(error);
    },
  });
  return {
    plan,
    failure,
    pinPrompt,
    pending: mutation.isPending,
    review: (next: P) => {
      setFailure(undefined);
      setPlan(next);
    },
    cancel: () => setPlan(undefined),
    confirm: () => {
      if (plan !== undefined) mutation.mutate(plan);
    },
  };
}
