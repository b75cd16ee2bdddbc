/**
 * Time as the code that waits sees it: what time it is and how to let time pass. Production uses
 * the system clock; tests pass one whose sleep advances its own time, so a wait of minutes takes
 * none and its outcome does not depend on how busy the machine is.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The system clock moved so that it reads `start` (epoch ms) when first asked, running at real speed from there. */
export function clockStartingAt(start: number): Clock {
  let offset: number | undefined;
  return {
    now: () => {
      offset ??= start - Date.now();
      return Date.now() + offset;
    },
    sleep: systemClock.sleep,
  };
}
