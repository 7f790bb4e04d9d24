// The printable version of a page (?print=1, the "Print" link of each list and of the
// estimate page) opens the browser's print dialog once loaded; its "Print" button opens it
// again. A static file, not an inline script: the site's CSP allows no inline code.
(function () {
  "use strict";
  function print() { window.print(); }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", print);
    });
    if (document.body.classList.contains("print") && !navigator.webdriver) {
      window.addEventListener("load", print);
    }
  });
})();
