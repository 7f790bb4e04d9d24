"use strict";
/* Optional: a live total while typing. The server computes the real amounts on save. */
(function () {
  var form = document.querySelector(".estimate-form"), out = document.getElementById("live-total");
  if (!form || !out) return;
  function num(v) { v = (v || "").replace(/[.\s₫đ]/g, ""); return /^\d+$/.test(v) ? parseInt(v, 10) : 0; }
  function update() {
    var total = 0;
    form.querySelectorAll("fieldset.line").forEach(function (fs) {
      var del = fs.querySelector("input[name$='-DELETE']");
      if (del && del.checked) return;
      var q = fs.querySelector("input[name$='-quantity']"), p = fs.querySelector("input[name$='-unit_price']"), t = fs.querySelector("input[name$='-times']");
      total += num(q && q.value) * num(p && p.value) * num(t && t.value);
    });
    out.textContent = total.toLocaleString("de-DE") + " ₫";
  }
  form.addEventListener("input", update);
  update();
})();
