// Money and counts as the report's prose (and the web UI) writes them.

/** $1,234.57 for amounts of a dollar or more; four significant digits below ($0.004321), so small spend is not "$0.00". */
export function usd(value: number | null): string {
  if (value === null) return "unknown (unpriced)";
  const abs = Math.abs(value);
  if (abs >= 1 || abs === 0) return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return `$${value.toPrecision(4)}`;
}

export function count(value: number): string {
  return value.toLocaleString("en-US");
}

/** "1 call", "3 calls", "2 opportunities". */
export function plural(n: number, word: string): string {
  if (n === 1) return `${count(n)} ${word}`;
  return `${count(n)} ${/[^aeiou]y$/.test(word) ? `${word.slice(0, -1)}ies` : `${word}s`}`;
}
