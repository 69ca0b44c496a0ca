# The contents of a trace format string (between the quotes, escapes not decoded): literal text,
# escapes, "%%" and conversions. The lexer matches any "%…" broadly; parse.ts validates each
# conversion (flags, width and unknown letters are reported with a caret).

@preprocessor typescript
@{%
import { formatLexer } from './lexer.js';
%}
@lexer formatLexer

format -> piece:*                                   {% id %}
piece -> %text                                      {% id %}
       | %escape                                    {% id %}
       | %percent                                   {% id %}
       | %conv                                      {% id %}
