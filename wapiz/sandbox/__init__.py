"""The sandbox's phone over HTTP (a domain of the API, mounted only with the sandbox engine):
scanning a device's QR code, unlinking it, and messages to it from any number. It acts on the
simulated network of `wapiz.engines.sandbox`, as a real phone acts on WhatsApp's."""
