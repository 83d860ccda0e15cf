"""The processes of a deployment (API and runner nodes), as each reports itself in `nodes`."""
