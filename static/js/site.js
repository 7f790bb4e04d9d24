"use strict";
/* A select marked data-autosubmit (the language) sends its form when changed; without
   JavaScript its form has a button. No inline handlers: the Content-Security-Policy
   allows scripts from files only. */
document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
