/**
 * A recording `Env` for unit tests that drive one process by hand: it records what the process
 * sends and the timers it sets, reads the clock from `now`, and throws on any port the test did
 * not provide (so a process reaching for more than the test models fails loudly).
 */
import type { Address, Env, Message } from "../../core/env.js";

export interface FakeEnvParts {
  readonly self: Address;
  readonly sent: Array<{ to: Address; message: Message }>;
  readonly now?: { us: number };
  /** Timers set, fired by the test in order (a cancelled one does nothing); omitted: ignored. */
  readonly timers?: Array<() => void>;
}

export function fakeEnv({ self, sent, now = { us: 1_000 }, timers }: FakeEnvParts): Env {
  let lastTimerId = 0;
  const cancelled = new Set<number>();
  const env = {
    self,
    nodeName: self.slice(self.indexOf("@") + 1),
    nowUs: () => now.us,
    setTimer: (_delayUs: number, fire: () => void) => {
      if (timers === undefined) return 0;
      const id = ++lastTimerId;
      timers.push(() => {
        if (!cancelled.delete(id)) fire();
      });
      return id;
    },
    cancelTimer: (id: number) => void cancelled.add(id),
    send: (to: Address, message: Message) => void sent.push({ to, message }),
    trace: () => {},
  };
  return new Proxy(env, {
    get: (target, key) => {
      if (key in target) return target[key as keyof typeof target];
      throw new Error(`fake env: ${String(key)} not provided`);
    },
  }) as unknown as Env;
}
