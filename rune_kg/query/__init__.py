"""The query pipeline: text -> Formula (parse) -> Plan (plan) -> SPARQL (rewrite) -> Answer (engine)."""
