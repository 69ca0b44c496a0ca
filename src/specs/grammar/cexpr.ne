# The C-expression subset of BCC's probe specs, with C's precedence and associativity:
#   ?: (right)  ||  &&  |  ^  &  == !=  < <= > >=  << >>  + -  * / %  casts/unary  postfix
#
# Casts versus parenthesised expressions. `( X ) e` is a cast only when X is a type name:
#   - C basic type words (`unsigned long`, `char`, `void`, ...), possibly qualified;
#   - a typedef name the lexer knows (u8..u64, s8..s64, size_t, uintN_t, pid_t, bool, ... see
#     TYPEDEF_NAMES in lexer.ts);
#   - `struct X`, `union X`, `enum X`;
#   - any other identifier followed by one or more `*` (`(gfp_t *)p`), which cannot be an
#     expression.
# So `(foo)x` is a syntax error and `(foo)` is a parenthesised identifier. In signatures and
# argdist type lists any identifier is a typedef name (`gfp_t flags`, `umode_t`).
#
# Special identifiers (argN, retval, args, ctx, $…) are recognised on whole tokens here, never by
# text replacement: `arg10` is argument 10 and `marg1` an ordinary identifier.

@preprocessor typescript
@{%
import { lexer } from './lexer.js';
import * as B from './build.js';
%}
@lexer lexer

exprMain -> expr                                    {% id %}
exprListMain -> exprList                            {% id %}
typeListMain -> typeList                            {% id %}
signatureMain -> signature                          {% id %}

exprList -> expr ("," expr):*                       {% B.list %}
typeList -> sigType ("," sigType):*                 {% B.list %}

expr -> ternary                                     {% id %}

ternary -> lor "?" expr ":" ternary                 {% B.ternary %}
         | lor                                      {% id %}
lor -> lor "||" land                                {% B.binary %}
     | land                                         {% id %}
land -> land "&&" bitor                             {% B.binary %}
      | bitor                                       {% id %}
bitor -> bitor "|" bitxor                           {% B.binary %}
       | bitxor                                     {% id %}
bitxor -> bitxor "^" bitand                         {% B.binary %}
        | bitand                                    {% id %}
bitand -> bitand "&" equality                       {% B.binary %}
        | equality                                  {% id %}
equality -> equality ("==" | "!=") relational       {% B.binary %}
          | relational                              {% id %}
relational -> relational ("<" | "<=" | ">" | ">=") shift {% B.binary %}
            | shift                                 {% id %}
shift -> shift ("<<" | ">>") additive               {% B.binary %}
       | additive                                   {% id %}
additive -> additive ("+" | "-") multiplicative     {% B.binary %}
          | multiplicative                          {% id %}
multiplicative -> multiplicative ("*" | "/" | "%") cast {% B.binary %}
                | cast                              {% id %}

cast -> "(" castType ")" cast                       {% B.cast %}
      | unary                                       {% id %}
unary -> ("-" | "!" | "~" | "*" | "&") cast         {% B.unary %}
       | postfix                                    {% id %}

postfix -> postfix "->" memberName                  {% B.member %}
         | postfix "." memberName                   {% B.member %}
         | postfix "[" expr "]"                     {% B.index %}
         | primary                                  {% id %}
memberName -> %ident                                {% id %}
            | %kw_typedef                           {% id %}

primary -> %int                                     {% B.int %}
         | %char                                    {% B.char %}
         | %string                                  {% B.string %}
         | %ident                                   {% B.ident %}
         | %argUser                                 {% B.argUser %}
         | %dollar                                  {% B.dollar %}
         | %dollar "(" %ident ")"                   {% B.entry %}
         | %ident "(" callArgs ")"                  {% B.call %}
         | "(" expr ")"                             {% B.paren %}
callArgs -> null                                    {% () => [] %}
          | exprList                                {% id %}

# ---- type names ----
castType -> quals strictBase quals stars            {% B.typeName %}
          | quals %ident quals stars1               {% B.typeName %}
sigType -> quals strictBase quals stars             {% B.typeName %}
         | quals %ident quals stars                 {% B.typeName %}
strictBase -> %kw_basic:+                           {% B.basicBase %}
            | %kw_typedef                           {% B.knownTypedef %}
            | %kw_tag %ident                        {% B.tagged %}
quals -> %kw_qual:*                                 {% id %}
stars -> "*":*                                      {% id %}
stars1 -> "*":+                                     {% id %}

# ---- function signatures: (struct sock *sk, size_t size) ----
signature -> "(" params ")"                         {% B.signature %}
params -> null                                      {% () => [] %}
        | param ("," param):*                       {% B.list %}
param -> sigType %ident                             {% B.param %}
       | sigType                                    {% B.unnamedParam %}
