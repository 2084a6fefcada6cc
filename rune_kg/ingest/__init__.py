"""The ingest stage: annotation or detection files (DOTA labelTxt, Task1 with its run.json), or
images a detector has just read -> one named graph per image in the knowledge graph, and the
entity index updated with the same measurements.

Entries: `ingest(paths, store, ...)` and `ingest_images(images, store, run, ...)`, both -> an
`IngestReport`; error type: `IngestError` (a single bad file is a `Failure` in the report, not
an error). Readers (dota, runfile) produce the records of `records`; `rdf` renders them.
"""

from ..errors import IngestError
from .records import DotaImage, DotaObject, Failure, RunInfo
from .writer import IngestReport, ingest, ingest_images

__all__ = [
    "DotaImage",
    "DotaObject",
    "Failure",
    "IngestError",
    "IngestReport",
    "RunInfo",
    "ingest",
    "ingest_images",
]
