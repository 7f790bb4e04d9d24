"use strict";
/* Optional: while typing the settlement, spent + returned + carried over against what was
   disbursed, with the difference; the labels come from the page (data-label-*) so they are
   in the page's language. The server checks the balance on submit. */
(function () {
  var form = document.querySelector(".settle-form"), out = document.getElementById("settle-sum");
  if (!form || !out) return;
  var disbursed = parseInt(form.getAttribute("data-disbursed"), 10) || 0;
  function num(v) { v = (v || "").replace(/[.\s₫đ]/g, ""); return /^\d+$/.test(v) ? parseInt(v, 10) : 0; }
  function vnd(n) { return (n < 0 ? "−" : "") + Math.abs(n).toLocaleString("de-DE") + "\u00a0₫"; }
  function update() {
    var sum = 0;
    form.querySelectorAll("[data-amount], input[name='returned'], input[name='carried']").forEach(function (el) { sum += num(el.value); });
    var diff = sum - disbursed;
    out.textContent = out.getAttribute("data-label-sum") + " " + vnd(sum) + " · " +
      (diff === 0 ? out.getAttribute("data-label-ok") : out.getAttribute("data-label-diff") + " " + vnd(diff));
    out.parentNode.classList.toggle("off", diff !== 0);
  }
  form.addEventListener("input", update);
  update();
})();
