"""The names and defaults of the stages' options, as plain values: what the `rune` command's
parser and the server's settings offer without importing a stage (so that `rune query --server`
starts in tens of milliseconds). The stages key their own tables by these names;
tests/test_architecture.py checks that they agree."""

MODES = ("scored", "crisp")  # query.engine
TNORMS = ("product", "minimum", "lukasiewicz")  # query.tnorms
TRANSLATORS = ("auto", "embedded", "llama-cpp", "transformers", "openai")  # translate
# LLM: once a candidate is valid, no sample is started after this many seconds (the vote counts
# the samples drawn by then), so a question whose samples run long still answers in seconds.
LLM_SECONDS = 10.0
RESULT_FORMATS = ("json", "csv", "tsv", "xml")  # SELECT and ASK (kg.store)
GRAPH_FORMATS = ("turtle", "ntriples", "xml", "json")  # CONSTRUCT and DESCRIBE (kg.store)
