# ':'-separated parts of a probe spec or pattern ("p:/opt/a:b/bin:func" → 4 parts). What the
# parts mean depends on their number and on the tool (BCC decides semantically, and so do we:
# see parse.ts); this grammar only finds them, empty parts included.

@preprocessor typescript
@{%
import { partLexer } from './lexer.js';
import * as B from './build.js';
%}
@lexer partLexer

parts -> part (":" part):*                          {% B.parts %}
part -> %text:?                                     {% B.part %}
