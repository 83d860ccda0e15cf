"""The webhook dispatcher: runs in every API process, beside the app, never in a runner."""
