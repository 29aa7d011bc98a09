// Exact sums of the API's amount strings, as integers of the asset's smallest unit (BigInt):
// the history's steps are computed here, never with JS numbers. Amounts come at the asset's
// scale, so one scale serves a whole statement.

const AMOUNT = /^(-?)(\d+)(?:\.(\d+))?$/;

export function scaleOf(amount: string): number {
  return AMOUNT.exec(amount)?.[3]?.length ?? 0;
}

export function toUnits(amount: string, scale: number): bigint {
  const match = AMOUNT.exec(amount);
  if (!match) throw new Error(`not an amount: ${amount}`);
  const fraction = (match[3] ?? '').padEnd(scale, '0');
  if (fraction.length > scale) throw new Error(`${amount} has more than ${scale} fraction digits`);
  const units = BigInt(`${match[2]}${fraction}`);
  return match[1] ? -units : units;
}

export function fromUnits(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${whole}` : whole;
}
