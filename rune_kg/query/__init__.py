"""The query stage: text -> Formula (parse) -> Plan of variable-disjoint clauses (plan) -> Answer
(engine), each clause decided on its conditioned subset of the entity index (worlds, pairs) and
scored with a t-norm (tnorms). Every clause also becomes portable SPARQL (sparql), which the
answer carries for users to read and re-run; the engine itself answers from the index.
`explain` draws an answer's witnesses on its picture."""
