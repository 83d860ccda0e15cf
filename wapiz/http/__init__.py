"""The HTTP side of an API process: the app, serving, request dependencies, bounds on
requests, error rendering and the OpenAPI document. The domains' routers plug into it."""
