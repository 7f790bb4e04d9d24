"use strict";
/* Optional: the running sum while typing. The server checks the balance on submit. */
(function () {
  var form = document.querySelector(".settle-form"), out = document.getElementById("settle-sum");
  if (!form || !out) return;
  var disbursed = parseInt(form.getAttribute("data-disbursed"), 10) || 0;
  function num(v) { v = (v || "").replace(/[.\s₫đ]/g, ""); return /^\d+$/.test(v) ? parseInt(v, 10) : 0; }
  function update() {
    var sum = 0;
    form.querySelectorAll("input[name^='spent-'], input[name='returned'], input[name='carried']").forEach(function (el) { sum += num(el.value); });
    out.textContent = "= " + sum.toLocaleString("de-DE") + " ₫ (" + (sum - disbursed).toLocaleString("de-DE") + ")";
    out.parentNode.classList.toggle("off", sum !== disbursed);
  }
  form.addEventListener("input", update);
  update();
})();
