// Starts Swagger UI on /api/docs. A file of its own, not an inline script: the page's
// Content-Security-Policy runs scripts from this server only.
window.addEventListener("load", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    deepLinking: true,
    // Swagger UI would otherwise send the description to a public validator for a badge.
    validatorUrl: null,
  });
});
