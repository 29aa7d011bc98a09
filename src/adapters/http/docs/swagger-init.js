/* global document, window, SwaggerUIBundle */
// Starts Swagger UI on /docs: served as a file of its own (/docs/swagger-init.js) so that the
// page's Content-Security-Policy allows no inline script. The spec's URL is the root's data-spec-url.
const root = document.getElementById('swagger-ui');
window.ui = SwaggerUIBundle({
  url: root.dataset.specUrl,
  domNode: root,
  deepLinking: true,
  // Never send the document to the online validator: /docs calls nothing but this service.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
