"""The sandbox engine: a simulated WhatsApp network for offline use, demos and tests.

The "network" (the part WhatsApp's servers and the user's phone play) lives in the shared
database, so the API process can act as the phone and any runner can host the session.
"""
