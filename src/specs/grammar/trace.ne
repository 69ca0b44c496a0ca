# The tail of a trace probe: everything after the spec (`p:c:write`), i.e.
#   [signature] [predicate] ["format" [, arg]...]
# parse.ts finds the end of the spec (the first blank or "(") by hand, as BCC does, and starts
# this grammar at `traceGlued` when a "(" follows the spec directly (a signature) and at
# `traceSpaced` otherwise. A comma after the format is optional and a trailing comma is allowed
# (BCC 0.26 compatibility); arguments are split at top-level commas only.

@preprocessor typescript
@include "cexpr.ne"

traceGlued -> signature traceRest                   {% (d) => B.traceTail(d[0], d[1]) %}
traceSpaced -> traceRest                            {% (d) => B.traceTail(null, d[0]) %}
traceRest -> predicate:? action:?                   {% id2 %}
predicate -> "(" expr ")"                           {% B.predicate %}
action -> %string ",":?                             {% B.action %}
        | %string ",":? exprList ",":?              {% B.action %}

@{%
const id2 = (d: any[]) => d;
%}
