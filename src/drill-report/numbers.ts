/** `value` as a share of `target`: whole percent, except near 100% where rounding would hide which side of the target it is. */
export function percentOf(value: number, target: number): string {
  const percent = (value / target) * 100;
  const rounded = Math.round(percent);
  return rounded === 100 && value !== target ? `${percent.toFixed(1)}%` : `${rounded}%`;
}
