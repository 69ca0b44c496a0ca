/**
 * Text from a user or a host file, made safe to quote in a one-line message: C0 and C1
 * control characters and DEL become `\xNN`, so no terminal escape sequence or line break
 * reaches the terminal through a warning.
 */
export function printable(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || (c >= 0x7f && c <= 0x9f) ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  return out;
}
