# The part of an argdist specifier from the signature on:
#   (signature) [ ":" [types] [ ":" [exprs] [ ":" [filter] ] ] ]
# parse.ts has already split off the `#label`, checked the ':'-part count as BCC does and taken
# `type:library:name` off the front. ':' inside expressions (the ?: operator, string literals,
# parentheses) is just part of the expression here.

@preprocessor typescript
@include "cexpr.ne"

argdistTail -> signature argdistTypes:?             {% B.argdistTail %}
argdistTypes -> ":" typeList:? argdistExprs:?       {% id2 %}
argdistExprs -> ":" exprList:? argdistFilter:?      {% id2 %}
argdistFilter -> ":" expr:?                         {% id2 %}

@{%
const id2 = (d: any[]) => d;
%}
