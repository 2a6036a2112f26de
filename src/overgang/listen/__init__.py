"""`overgang listen`: a municipal integrator's receiver (profile §10), in the spirit of
`stripe listen`.

`receiver` (the webhook HTTP server: verifies Standard Webhooks signatures, de-duplicates by
`webhook-id`), `inbox` (the municipality's side of the HTTP API), `listener` (takes each message
once, in sequence order, catching up by pull on a gap: forward, acknowledge, print), `reading`
(one readable line per message, no CPR unless asked), `state` (the last sequence, across
restarts). The simulation's municipalities use the same pieces.
"""
