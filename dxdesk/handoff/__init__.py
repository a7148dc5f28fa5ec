"""The back-office hand-off: what a printed form said, as data (issue #16).

``printed``: a form's values exactly as the renderer prints them; ``record``: the versioned
record (JSON document, CSV row, compact QR payload); ``folder``: the owner-only hand-off
folder a town's IT staff picks the records up from; ``qr``: the QR code in a form's corner.
"""
