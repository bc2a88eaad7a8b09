// Starts Swagger UI on /api/v1/docs/ from the data the page carries (templates/api/swagger_ui.html).
(function () {
  "use strict";
  const root = document.getElementById("swagger-ui");
  const data = root.dataset;

  // Unsafe methods on this site carry the CSRF token, as the session-signed-in API expects.
  function requestInterceptor(request) {
    const method = (request.method || "GET").toUpperCase();
    if (method !== "GET" && request.credentials === "same-origin") {
      request.headers[data.csrfHeader] = data.csrfToken;
    }
    return request;
  }

  window.ui = window.SwaggerUIBundle({
    url: data.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: requestInterceptor,
    ...JSON.parse(data.settings || "{}"),
  });
})();
