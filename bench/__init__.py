"""Load benchmark of `POST /fhir/$process-message` and webhook delivery (`python -m bench.run`)."""
