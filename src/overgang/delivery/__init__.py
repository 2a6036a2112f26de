"""Pushing inbox messages to municipalities' webhook endpoints, Standard Webhooks style.

signing.py   endpoint secrets (`whsec_...`, ed25519 `whsk_...`) and the `webhook-*` signature
             headers
secret_keys.py  sealing those secrets at rest (AES-GCM under OVERGANG_SECRET_KEYS)
backoff.py   the retry schedule, jitter and the receiver's Retry-After (pure)
sender.py    one POST attempt and how its outcome is classified
targets.py   the SSRF guard: which webhook URLs Overgang is willing to call
states.py    a delivery's and an endpoint's states
outbox.py    the outbox: rows written with the inbox message, rounds of sending, outcomes
             recorded, endpoints disabled and reactivated (the only part here that uses the database)
"""
