"""Detection stage: picture files -> entities, with an oriented-box detector (OpenMMLab mmrotate).

Entry: `detect(paths, DetectOptions) -> Detections` (one DotaImage per picture, plus the run's
provenance); error type: `DetectError`. The output goes on as DOTA Task1 files
(`dota.write_detection_files`) with the run's provenance beside them (`runfile.write_run_file`),
or straight into the store (`ingest.ingest_images`).
"""

from ..errors import DetectError
from .inference import Detections, DetectOptions, detect

__all__ = ["DetectError", "DetectOptions", "Detections", "detect"]
