/** Name patterns as BCC's tools read them: a glob becomes an anchored regex, `-r` is start-anchored. */
import { globToRegExp, userRegExp } from '../symbols/match.js';
import type { NameMatch } from './provider.js';

export function nameRegExp(pattern: string, match: NameMatch): RegExp {
  return match === 'regex' ? userRegExp(pattern) : globToRegExp(pattern);
}
