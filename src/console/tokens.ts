// A screen's answer is drawn only if no later request for that screen was made meanwhile.
const tokens = new Map<string, number>();

export function begin(screen: string): number {
  const token = (tokens.get(screen) ?? 0) + 1;
  tokens.set(screen, token);
  return token;
}

export const isCurrent = (screen: string, token: number) => tokens.get(screen) === token;

/** Makes every answer still on its way stale (signing out). */
export function forgetAll(): void {
  for (const screen of tokens.keys()) begin(screen);
}
