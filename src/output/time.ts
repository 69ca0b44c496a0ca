/** Time stamps as BCC prints them. */

const two = (n: number): string => String(n).padStart(2, '0');

/** Python `strftime("%H:%M:%S")`: the local wall-clock time of `date`. */
export function strftimeHMS(date: Date = new Date()): string {
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/**
 * The `-T` line the interval tools (funccount, funclatency, stackcount) print before a
 * block: Python `print("%-8s\n" % strftime("%H:%M:%S"), end="")`.
 */
export function renderTimestampLine(date: Date): string {
  return `${strftimeHMS(date).padEnd(8)}\n`;
}
